"""Every event type of the catalogue declares its category."""
from outbox.events.categories import Category


def test_every_event_type_has_a_category():
    from outbox.events import event_types

    assert {t: s.category for t, s in event_types().items()} == {
        "auth.user_invited": Category.CRITICAL, "auth.otp_requested": Category.CRITICAL,
        "auth.password_changed": Category.CRITICAL, "auth.security_alert": Category.CRITICAL,
        "auth.account_approved": Category.TRANSACTIONAL, "sales.order_confirmed": Category.TRANSACTIONAL,
        "sales.invoice_issued": Category.TRANSACTIONAL, "sales.payment_received": Category.TRANSACTIONAL,
        "dispatch.delivery_assigned": Category.TRANSACTIONAL, "auth.daily_entry_reminder": Category.OPERATIONAL,
        "production.schedule_published": Category.OPERATIONAL, "inventory.stock_low": Category.OPERATIONAL,
        "reports.report_ready": Category.OPERATIONAL,
    }
