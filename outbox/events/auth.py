"""Events the auth module emits."""
from datetime import date
from typing import Literal

from pydantic import AwareDatetime, Field, model_validator

from outbox.events.base import EventSchema, register
from outbox.events.categories import Category
from outbox.events.fields import LANGUAGE_DOC, Email, Language, Name, OtpCode, Phone, TemporaryPassword, Url
from outbox.events.users import UserId, user_of


@register
class UserInvited(EventSchema):
    event_type = "auth.user_invited"
    category = Category.CRITICAL
    key_field = "email"

    email: Email
    name: Name
    role: str = Field(min_length=1, max_length=50)
    temp_password: TemporaryPassword
    login_url: Url


@register
class OtpRequested(EventSchema):
    """A one-time code, by email and/or SMS (at least one of email, phone)."""

    event_type = "auth.otp_requested"
    category = Category.CRITICAL
    key_field = "email"

    email: Email | None = None
    phone: Phone | None = None
    name: str = Field(default="", max_length=150)
    code: OtpCode
    purpose: Literal["login", "password_reset"] = "login"
    expiry_minutes: int = Field(default=10, ge=1, le=1440)
    language: Language | None = Field(default=None, description=LANGUAGE_DOC)

    @model_validator(mode="after")
    def _has_a_recipient(self):
        if not self.email and not self.phone:
            raise ValueError("give an email, a phone, or both")
        return self

    def partition_key(self) -> str:
        return str(self.email or self.phone)


@register
class PasswordChanged(EventSchema):
    event_type = "auth.password_changed"
    category = Category.CRITICAL
    key_field = "email"

    email: Email
    name: Name
    timestamp: AwareDatetime
    ip_address: str = Field(max_length=45)
    user_agent: str = Field(default="", max_length=500)


@register
class AccountApproved(EventSchema):
    event_type = "auth.account_approved"
    category = Category.TRANSACTIONAL
    key_field = "email"

    email: Email
    name: Name
    role: str = Field(min_length=1, max_length=50)
    login_url: Url
    approved_by: Name
    user_id: UserId | None = user_of("email")


@register
class SecurityAlert(EventSchema):
    """Something about an account needs its owner's attention (email, and SMS when a phone is given)."""

    event_type = "auth.security_alert"
    category = Category.CRITICAL
    key_field = "email"

    email: Email
    name: Name
    phone: Phone | None = None
    alert: str = Field(min_length=1, max_length=120)  # e.g. "New sign-in from an unknown device"
    occurred_at: AwareDatetime
    ip_address: str = Field(default="", max_length=45)
    details: str = Field(default="", max_length=1000)
    user_id: UserId | None = user_of("email")


@register
class DailyEntryReminder(EventSchema):
    event_type = "auth.daily_entry_reminder"
    category = Category.OPERATIONAL
    key_field = "email"

    email: Email
    name: Name
    date: date
    entry_type: Literal["sales", "dispatch"]
    dashboard_url: Url
    user_id: UserId | None = user_of("email")
