"""Field types shared by the event schemas."""
from decimal import Decimal
from typing import Annotated

from pydantic import Field, StringConstraints

Name = Annotated[str, StringConstraints(min_length=1, max_length=150)]
Url = Annotated[str, StringConstraints(pattern=r"^https?://\S+$", max_length=500)]
# E.164: a plus and 8 to 15 digits, the first not 0 ("+254712345678"); the SMS channel checks the same.
Phone = Annotated[str, StringConstraints(pattern=r"^\+[1-9]\d{7,14}$")]
Money = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]
Quantity = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=3)]
Identifier = Annotated[str, StringConstraints(min_length=1, max_length=100)]
