"""Events the auth module emits."""
from typing import Literal

from pydantic import EmailStr, Field, SecretStr

from outbox.events.base import EventSchema, register


@register
class UserInvited(EventSchema):
    event_type = "auth.user_invited"
    key_field = "email"

    email: EmailStr
    name: str = Field(min_length=1, max_length=150)
    role: str = Field(min_length=1, max_length=50)
    temp_password: SecretStr
    login_url: str = Field(pattern=r"^https?://\S+$")


@register
class OtpRequested(EventSchema):
    event_type = "auth.otp_requested"
    key_field = "email"

    email: EmailStr
    name: str = Field(min_length=1, max_length=150)
    code: SecretStr
    purpose: Literal["login", "password_reset"] = "login"
    expiry_minutes: int = Field(default=10, ge=1, le=1440)
