"""Field types shared by the event schemas."""
from decimal import Decimal
from functools import lru_cache
from pathlib import PurePosixPath, PureWindowsPath
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, SecretStr, StringConstraints, WithJsonSchema
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
# The language a customer's message is written in (consumers/languages.py). Optional on every event that
# has it: records written before it existed decode as None, which means "the recipient's preference, else
# COMMS_DEFAULT_LANGUAGE".
Language = Literal["en", "sw"]
LANGUAGE_DOC = "en or sw; none: the recipient's preference, else COMMS_DEFAULT_LANGUAGE"


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
