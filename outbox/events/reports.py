"""Events the reports module emits."""
from pydantic import AwareDatetime, Field

from outbox.events.base import EventSchema, register
from outbox.events.categories import Category
from outbox.events.fields import Email, Identifier, StoredFilePath
from outbox.events.users import UserId, user_of


@register
class ReportReady(EventSchema):
    """A generated report, mailed as an attachment. The file is passed by reference:
    `attachment_path` is relative to REPORTS_STORAGE_DIR (no absolute path, no `..`) and is read
    when the email is sent."""

    event_type = "reports.report_ready"
    category = Category.OPERATIONAL
    key_field = "email"

    email: Email
    report_name: str = Field(min_length=1, max_length=150)
    attachment_path: StoredFilePath
    period: str = Field(default="", max_length=100)
    generated_at: AwareDatetime | None = None
    report_id: Identifier | None = None
    user_id: UserId | None = user_of("email")
