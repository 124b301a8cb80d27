"""Accounts: invite a user, send a login code.

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

from examples.accounts.models import Invitation, LoginCode, hash_code
from examples.common import BusinessRuleError
from outbox.facade import EmailService

# Letters and digits that survive being read off an email and typed: no 0/O, no 1/l/I.
PASSWORD_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"
LOGIN_CODE_MINUTES = 10  # how long a login code works (and how long its email/SMS may be sent)


class AlreadyRegistered(BusinessRuleError):
    """The address already belongs to a user."""


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


def request_login_code(user, phone: str | None = None, purpose: str = "login") -> LoginCode:
    """Store a new code's hash and emit auth.otp_requested: by email, and by SMS too when
    `phone` (E.164) is given. A new code replaces the user's earlier unused ones."""
    code = f"{secrets.randbelow(10**6):06d}"
    with transaction.atomic():
        LoginCode.objects.filter(user=user, purpose=purpose, used_at__isnull=True).delete()
        login_code = LoginCode.objects.create(
            user=user, purpose=purpose, code_hash=hash_code(code),
            expires_at=timezone.now() + timedelta(minutes=LOGIN_CODE_MINUTES),
        )
        EmailService.send_otp(user.email or None, user.get_full_name(), code, purpose=purpose,
                              expiry_minutes=LOGIN_CODE_MINUTES, sent_by=user, phone=phone)
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
