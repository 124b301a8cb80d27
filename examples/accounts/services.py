"""Accounts: invite a user, keep their phone, send them a login code.

How a business module notifies (the same in every example module):

1. One `transaction.atomic()` around the whole operation.
2. Lock and check what the rule depends on; raise a typed error before writing anything.
3. Write the module's own rows.
4. Emit the event in that same transaction: `outbox.emit(...)`, or the seed facade as here
   (`EmailService.send_invitation(...)`), which emits too. The data is validated first;
   an invalid event raises, and the rows written in step 3 roll back with it.
5. Commit. The relay only ever sees committed events, so a rolled-back invitation sends
   nothing and a committed one is never lost. Nothing is sent inside the request.

Secrets (the temporary password, the login code) are handed to the event in clear; the
outbox seals them before the row is written. This module keeps only their hashes.
"""
from __future__ import annotations

import secrets
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from examples.accounts.models import Invitation, LoginCode, Profile, hash_code
from examples.common import BusinessRuleError
from outbox.events.phones import InvalidPhoneNumber, e164
from outbox.facade import EmailService

# Letters and digits that survive being read off an email and typed: no 0/O, no 1/l/I.
PASSWORD_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"
LOGIN_CODE_MINUTES = 10  # how long a login code works (and how long its email/SMS may be sent)


class AlreadyRegistered(BusinessRuleError):
    """The address already belongs to a user."""


class NotAllowed(BusinessRuleError):
    """The requester may not do this for that user."""

    status = 403


class InvalidPhone(BusinessRuleError):
    """Not a phone number a code could be sent to."""

    status = 400


def temporary_password() -> str:
    """Three groups of four random characters ('Xk7m-Pq2R-hT9w'): about 69 bits from `secrets`."""
    return "-".join("".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(4)) for _ in range(3))


def invite_user(email: str, name: str, role: str, login_url: str, invited_by) -> Invitation:
    """Create the user and the invitation and emit auth.user_invited, in one transaction.

    The user is created *active, with a temporary password* (stored hashed, sent sealed in
    the invitation). Not inactive: Django's login refuses inactive users, so the emailed
    password could not be used; not an unusable password: that needs a reset-link flow,
    and the catalogue's invitation carries a temporary password. The invitation counts as
    accepted at the first login (`mark_invitation_accepted`); a real module would also
    make the user change the password then.
    """
    User = get_user_model()
    email = User.objects.normalize_email(email.strip())
    password = temporary_password()
    with transaction.atomic():
        if User.objects.filter(email__iexact=email).exists():
            raise AlreadyRegistered(f"{email} already has an account; send a login code or a password reset instead")
        first_name, _, last_name = name.strip().partition(" ")
        user = User.objects.create_user(username=email, email=email, password=password,
                                        first_name=first_name[:150], last_name=last_name.strip()[:150])
        invitation = Invitation.objects.create(user=user, email=email, name=name.strip(), role=role.strip(),
                                               invited_by=invited_by)
        EmailService.send_invitation(email, name, role, password, login_url, sent_by=invited_by)
    return invitation


def set_phone(user, phone: str | None) -> Profile:
    """Keep `phone` (normalised to E.164; a national number is read in COMMS_PHONE_REGION) as the
    number the user's login codes go to by SMS; None or empty removes it."""
    try:
        number = e164(phone) if phone and phone.strip() else ""
    except InvalidPhoneNumber as exc:
        raise InvalidPhone(str(exc)) from None
    profile, _ = Profile.objects.update_or_create(user=user, defaults={"phone": number})
    return profile


def phone_of(user) -> str | None:
    return Profile.objects.filter(user=user).values_list("phone", flat=True).first() or None


def may_send_login_code(requester, user) -> bool:
    """Who may have a login code sent to `user` (it always goes to the user's own email and phone on
    record, never to an address given with the request):

    - the user themselves;
    - anyone else only with the permission `example_accounts.send_login_code` (given per user or
      group, as Django's permissions are) — being staff is not enough;
    - for a superuser, no one but that superuser: a superuser's code is half of signing in as them,
      so no permission, not even another superuser's, covers it.
    """
    if requester.pk is not None and requester.pk == user.pk:
        return True
    if user.is_superuser:
        return False
    return requester.has_perm("example_accounts.send_login_code")


def request_login_code(user, *, requested_by, purpose: str = "login") -> LoginCode:
    """Store a new code's hash and emit auth.otp_requested to the user's email, and by SMS to the
    phone on their profile when there is one. A new code replaces the user's earlier unused ones.
    Raises NotAllowed unless `requested_by` may (`may_send_login_code`); nothing is written then."""
    if not may_send_login_code(requested_by, user):
        raise NotAllowed(f"{requested_by} may not have a login code sent to {user}"
                         + (" (only a superuser may ask for their own)" if user.is_superuser else
                            " (that needs the permission example_accounts.send_login_code)"))
    code = f"{secrets.randbelow(10**6):06d}"
    with transaction.atomic():
        LoginCode.objects.filter(user=user, purpose=purpose, used_at__isnull=True).delete()
        login_code = LoginCode.objects.create(
            user=user, purpose=purpose, code_hash=hash_code(code),
            expires_at=timezone.now() + timedelta(minutes=LOGIN_CODE_MINUTES),
        )
        EmailService.send_otp(user.email or None, user.get_full_name(), code, purpose=purpose,
                              expiry_minutes=LOGIN_CODE_MINUTES, sent_by=requested_by, phone=phone_of(user))
    return login_code


def verify_login_code(user, code: str, purpose: str = "login") -> bool:
    """True, once, for the user's latest unexpired code. (A real module also limits attempts.)"""
    with transaction.atomic():
        latest = (LoginCode.objects.select_for_update()
                  .filter(user=user, purpose=purpose, used_at__isnull=True, expires_at__gt=timezone.now())
                  .first())
        if latest is None or not latest.matches(code):
            return False
        latest.used_at = timezone.now()
        latest.save(update_fields=["used_at"])
        return True


def mark_invitation_accepted(sender, request, user, **kwargs) -> None:
    """On `user_logged_in`: the first login accepts the user's invitation."""
    Invitation.objects.filter(user=user, accepted_at__isnull=True).update(accepted_at=timezone.now())
