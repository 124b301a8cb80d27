"""Events the inventory module emits."""
from pydantic import Field, model_validator

from outbox.events.base import EventSchema, register
from outbox.events.categories import Category
from outbox.events.fields import Email, Identifier, Phone, Quantity
from outbox.events.users import UserId, users_of


@register
class StockLow(EventSchema):
    """A product fell below its threshold: email to `recipients`, SMS to `phones`, the in-app inbox and push
    to the users `recipient_user_ids` names (or, without it, the users `recipients` finds)."""

    event_type = "inventory.stock_low"
    category = Category.OPERATIONAL
    key_field = "product_id"

    product_id: Identifier
    product_name: str = Field(min_length=1, max_length=150)
    current_stock: Quantity
    threshold: Quantity
    unit: str = Field(default="units", max_length=20)
    recipients: list[Email] = Field(default_factory=list, max_length=50)  # up to 50 addresses
    phones: list[Phone] = Field(default_factory=list, max_length=50)  # up to 50 numbers
    recipient_user_ids: list[UserId] | None = users_of("recipients", 50)

    @model_validator(mode="after")
    def _has_a_recipient(self):
        if not self.recipients and not self.phones and not self.recipient_user_ids:
            raise ValueError("give at least one of recipients (emails), phones or recipient_user_ids")
        return self
