"""Field types shared by the event schemas."""
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

from outbox.events.phones import MAX_WRITTEN_LENGTH, e164

Name = Annotated[str, StringConstraints(min_length=1, max_length=150)]
Url = Annotated[str, StringConstraints(pattern=r"^https?://\S+$", max_length=500)]
# Parsed and kept in E.164 ("0712 345 678" -> "+254712345678"); the SMS channel checks the same rule (phones.py).
Phone = Annotated[str, StringConstraints(max_length=MAX_WRITTEN_LENGTH), AfterValidator(lambda number: e164(number))]
Money = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]
Quantity = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=3)]
Identifier = Annotated[str, StringConstraints(min_length=1, max_length=100)]
