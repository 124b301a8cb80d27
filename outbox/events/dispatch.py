"""Events the dispatch module emits."""
from pydantic import Field

from outbox.events.base import EventSchema, register
from outbox.events.categories import Category
from outbox.events.fields import LANGUAGE_DOC, Email, Identifier, Language, Phone
from outbox.events.users import UserId, user_of


@register
class DeliveryAssigned(EventSchema):
    """A delivery is on its way: an SMS to the customer's phone, and a push to the driver's app
    (the user `driver_user_id` names, or else the one `driver_email` finds)."""

    event_type = "dispatch.delivery_assigned"
    category = Category.TRANSACTIONAL
    key_field = "order_id"

    order_id: Identifier
    phone: Phone
    eta: str = Field(min_length=1, max_length=50)  # as the customer should read it: "14:30" or "today 2-3 pm"
    driver_name: str = Field(default="", max_length=150)
    vehicle: str = Field(default="", max_length=30)
    driver_email: Email | None = None  # the driver's user account, which the push channel notifies
    driver_user_id: UserId | None = user_of("driver_email")
    language: Language | None = Field(default=None, description=LANGUAGE_DOC)
