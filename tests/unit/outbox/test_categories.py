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


def test_the_exported_schemas_carry_each_type_s_category_key_and_version(tmp_path):
    import json
    from io import StringIO

    from django.core.management import call_command

    from outbox.events import event_types

    out = StringIO()
    call_command("outbox_schemas", stdout=out)
    schemas = json.loads(out.getvalue())
    assert set(schemas) == set(event_types())
    otp = schemas["auth.otp_requested"]
    assert (otp["x-chesanto-category"], otp["x-chesanto-key"], otp["$id"]) == (
        "critical", "email", "urn:chesanto:event:auth.otp_requested:v1")
    assert "email" in otp["properties"] and otp["type"] == "object"
    call_command("outbox_schemas", output=str(tmp_path), stdout=StringIO())
    written = json.loads((tmp_path / "sales.order_confirmed.json").read_text())
    assert written["x-chesanto-category"] == "transactional"
