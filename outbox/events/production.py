"""Events the production module emits."""
from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from outbox.events.base import EventSchema, register
from outbox.events.categories import Category
from outbox.events.fields import Email, Identifier, Name, Quantity
from outbox.events.users import UserId, users_of


class ScheduleLine(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    product: str = Field(min_length=1, max_length=150)
    quantity: Quantity
    unit: str = Field(default="pcs", max_length=20)
    shift: str = Field(default="", max_length=30)


@register
class SchedulePublished(EventSchema):
    event_type = "production.schedule_published"
    category = Category.OPERATIONAL
    key_field = "schedule_id"

    schedule_id: Identifier
    date: date
    recipients: list[Email] = Field(min_length=1, max_length=200)  # 1 to 200 addresses
    recipient_user_ids: list[UserId] | None = users_of("recipients", 200)
    items: list[ScheduleLine] = Field(min_length=1, max_length=500)  # 1 to 500 lines
    published_by: Name
    notes: str = Field(default="", max_length=2000)
