from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac


class Invitation(models.Model):
    """A user invited by a member of staff; accepted at the user's first login."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invitation")
    email = models.EmailField()
    name = models.CharField(max_length=150)
    role = models.CharField(max_length=50)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="invitations_sent")
    created_at = models.DateTimeField(auto_now_add=True)
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}> as {self.role}"


def validate_phone(value: str) -> None:
    """A phone as the profile keeps it: E.164, by the events' own rule (set_phone normalises first)."""
    from outbox.events.phones import InvalidPhoneNumber, e164

    try:
        if e164(value) != value:
            raise ValidationError(f"{value!r} is not in E.164 form; it is written {e164(value)}")
    except InvalidPhoneNumber as exc:
        raise ValidationError(str(exc)) from None


class Profile(models.Model):
    """What the example keeps about a user beyond django.contrib.auth's User: the phone their login
    codes go to by SMS. Codes go only to the addresses on record, never to one given with the request."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="example_profile")
    phone = models.CharField(max_length=16, blank=True, validators=[validate_phone],
                             help_text="E.164 (+254712345678); empty: login codes go by email only")

    def __str__(self) -> str:
        return f"{self.user}: {self.phone or 'no phone'}"


def hash_code(code: str) -> str:
    """An HMAC of the code keyed by SECRET_KEY: the table alone does not give the codes away
    (a slow password hash buys nothing for a six-digit code that expires in minutes)."""
    return salted_hmac("examples.accounts.LoginCode", code, algorithm="sha256").hexdigest()


class LoginCode(models.Model):
    """A one-time code; only its hash is kept. The code itself travels sealed in the event."""

    class Purpose(models.TextChoices):
        LOGIN = "login"
        PASSWORD_RESET = "password_reset"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="login_codes")
    purpose = models.CharField(max_length=20, choices=Purpose.choices, default=Purpose.LOGIN)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        permissions = [("send_login_code", "Can send a login code to another (non-superuser) user")]

    def __str__(self) -> str:
        return f"{self.purpose} code for {self.user} (expires {self.expires_at:%H:%M})"

    def matches(self, code: str) -> bool:
        return constant_time_compare(hash_code(code), self.code_hash)

    @property
    def expired(self) -> bool:
        return timezone.now() >= self.expires_at
