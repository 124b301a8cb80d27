"""Events the sales module emits."""
from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from outbox.events.base import EventSchema, register
from outbox.events.categories import Category
from outbox.events.fields import LANGUAGE_DOC, Email, Identifier, Language, Money, Name, Phone, Quantity, Url
from outbox.events.users import UserId, user_of


class OrderLine(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    product: str = Field(min_length=1, max_length=150)
    quantity: Quantity
    unit_price: Money


@register
class OrderConfirmed(EventSchema):
    event_type = "sales.order_confirmed"
    category = Category.TRANSACTIONAL
    key_field = "order_id"

    order_id: Identifier
    customer_email: Email
    customer_name: str = Field(default="", max_length=150)
    customer_phone: Phone | None = None  # E.164; channels that message a phone (WhatsApp) need it
    items: list[OrderLine] = Field(min_length=1, max_length=200)  # 1 to 200 lines
    total: Money
    currency: str = Field(default="KES", pattern=r"^[A-Z]{3}$")
    delivery_date: date | None = None
    language: Language | None = Field(default=None, description=LANGUAGE_DOC)


@register
class InvoiceIssued(EventSchema):
    event_type = "sales.invoice_issued"
    category = Category.TRANSACTIONAL
    key_field = "invoice_number"

    invoice_number: Identifier
    order_id: Identifier | None = None
    customer_email: Email
    customer_name: str = Field(default="", max_length=150)
    amount_due: Money
    currency: str = Field(default="KES", pattern=r"^[A-Z]{3}$")
    due_date: date
    invoice_url: Url
    customer_user_id: UserId | None = user_of("customer_email")  # a trade customer with an account
    language: Language | None = Field(default=None, description=LANGUAGE_DOC)


@register
class PaymentReceived(EventSchema):
    """A payment against an invoice or order: a receipt by email, and by SMS when a phone is given."""

    event_type = "sales.payment_received"
    category = Category.TRANSACTIONAL
    key_field = "receipt_number"

    receipt_number: Identifier
    customer_email: Email
    customer_name: Name
    phone: Phone | None = None
    amount: Money
    currency: str = Field(default="KES", pattern=r"^[A-Z]{3}$")
    method: str = Field(min_length=1, max_length=30)  # "M-Pesa", "cash", "bank transfer"
    reference: str = Field(default="", max_length=100)  # e.g. the M-Pesa transaction code
    invoice_number: Identifier | None = None
    language: Language | None = Field(default=None, description=LANGUAGE_DOC)
