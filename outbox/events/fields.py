"""Field types shared by the event schemas."""
from decimal import Decimal
from functools import lru_cache
from pathlib import PurePosixPath, PureWindowsPath
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, SecretStr, StringConstraints, WithJsonSchema
from pydantic.networks import validate_email

from outbox.events.phones import MAX_WRITTEN_LENGTH, e164


@lru_cache(maxsize=4096)
def _normalised_email(address: str) -> str:
    """pydantic's EmailStr check (email-validator), remembered per address: a business sends to
    the same addresses again and again, and the check is half of emit()'s own work (~30 µs)."""
    return validate_email(address)[1]


# What pydantic's EmailStr accepts and how it normalises, with the same errors and JSON schema.
Email = Annotated[str, AfterValidator(_normalised_email), WithJsonSchema({"type": "string", "format": "email"})]
Name = Annotated[str, StringConstraints(min_length=1, max_length=150)]
Url = Annotated[str, StringConstraints(pattern=r"^https?://\S+$", max_length=500)]
# Parsed and kept in E.164 ("0712 345 678" -> "+254712345678"); the SMS channel checks the same rule (phones.py).
Phone = Annotated[str, StringConstraints(max_length=MAX_WRITTEN_LENGTH), AfterValidator(lambda number: e164(number))]
Money = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]
Quantity = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=3)]
Identifier = Annotated[str, StringConstraints(min_length=1, max_length=100)]


def _user_id_text(value: object) -> object:
    if isinstance(value, bool):  # True is an int to Python, never a user's id
        raise ValueError("a user's id is an integer or text, not a boolean")
    return str(value) if isinstance(value, int) else value


# A user of the project, by primary key: an integer (or its text; a project whose user model has
# UUID or text keys gives those), carried as text. The channels that deliver to users (the inbox,
# push) deliver to this user rather than looking an address up (consumers/recipients.py).
# No space in it: push's log writes "user <id> (no device)" where a token would be (consumers/push/recipients.py).
UserId = Annotated[str, BeforeValidator(_user_id_text), StringConstraints(min_length=1, max_length=64, pattern=r"^\S+$"),
                   WithJsonSchema({"type": ["integer", "string"]})]


def user_of(address_field: str) -> Any:
    """An optional `UserId` field naming the user an address field belongs to."""
    return Field(default=None, description=(
        f"the id of the user `{address_field}` belongs to: the in-app inbox and push deliver to this user. Give it "
        f"whenever the business knows it; without it they look `{address_field}` up and deliver only when exactly "
        "one active user has that address (case-insensitive), never to a guess"))


def users_of(list_field: str, max_length: int) -> Any:
    """An optional list of `UserId`s naming the users among a list of addresses."""
    return Field(default=None, max_length=max_length, description=(
        f"the ids of the users among `{list_field}`: when given, the in-app inbox and push deliver to exactly these "
        f"users and look up no address of `{list_field}`. Without it they look each address up and deliver only to "
        "one that exactly one active user has (case-insensitive), never to a guess"))


def _stored_file_path(path: str) -> str:
    # Both flavours: C:\x and \\host\share are absolute to Windows, which also splits '..' on either slash.
    if PurePosixPath(path).is_absolute() or PureWindowsPath(path).is_absolute() or path.startswith("\\"):
        raise ValueError("must be relative to the storage directory, not an absolute path")
    if ".." in PureWindowsPath(path).parts:
        raise ValueError("must not have a '..' component: it names a file below the storage directory")
    if not path.isprintable():
        raise ValueError("must not contain control characters")
    return path


# A file below a storage directory (REPORTS_STORAGE_DIR), by reference: "daily/2026-11-21.pdf".
StoredFilePath = Annotated[str, StringConstraints(min_length=1, max_length=500), AfterValidator(_stored_file_path)]


def _secret_text(min_length: int, max_length: int, what: str) -> AfterValidator:
    """Limits of a secret, checked on its clear text (the sealed form says nothing of its length)."""
    def check(value: SecretStr) -> SecretStr:
        text = value.get_secret_value()
        if not min_length <= len(text) <= max_length:
            raise ValueError(f"{what} has {min_length} to {max_length} characters, not {len(text)}")
        if not text.isprintable():
            raise ValueError(f"{what} must not contain control characters (NUL, tabs, line breaks, …)")
        return value
    return AfterValidator(check)


# Secrets: top-level fields of these types are sealed before the row is written (base.py).
OtpCode = Annotated[SecretStr, _secret_text(4, 12, "an OTP code")]  # 4 to 12 characters
TemporaryPassword = Annotated[SecretStr, _secret_text(8, 128, "a temporary password")]  # 8 to 128 characters
