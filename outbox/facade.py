"""The seed's service facade, kept for callers written against it.

    from outbox.facade import EmailService
    EmailService.send_invitation(email, name, role, temp_password, login_url, sent_by=request.user)

Each method emits the matching event in the caller's transaction (it no longer
sends anything itself) and returns the event id.
"""
from __future__ import annotations

import uuid

from outbox import emit


class EmailService:
    @staticmethod
    def send_invitation(email, name, role, temp_password, login_url, sent_by=None) -> uuid.UUID:
        """Invite a user with a temporary password (event auth.user_invited)."""
        return emit(
            "auth.user_invited",
            {"email": email, "name": name, "role": role, "temp_password": temp_password, "login_url": login_url},
            actor=sent_by,
        )

    @staticmethod
    def send_otp(email, name, code, purpose="login", expiry_minutes=10, sent_by=None) -> uuid.UUID:
        """A one-time code for login or password reset (event auth.otp_requested)."""
        return emit(
            "auth.otp_requested",
            {"email": email, "name": name, "code": code, "purpose": purpose, "expiry_minutes": expiry_minutes},
            actor=sent_by,
        )
