"""Each notification rendered from its event type's sample, as the admin's preview shows it."""
import pytest

from chesanto_chat.channel import ChatChannel
from chesanto_chat.notifications import CHAT
from outbox.events import get_event_type
from outbox.events.samples import sample


def rendered(event_type: str, **changes):
    (notification,) = CHAT[event_type]
    data = get_event_type(event_type).parse({**sample(event_type), **changes})
    return ChatChannel().preview(notification, data)


def test_low_stock():
    preview = rendered("inventory.stock_low")
    data = sample("inventory.stock_low")
    assert preview.subject == f"Low stock: {data['product_name']}"
    assert f"{data['product_name']} is down to" in preview.text and "below its threshold" in preview.text
    assert [label for label, _ in preview.facts] == ["Product", "In stock", "Threshold"]


def test_a_long_schedule_lists_thirty_lines_and_says_how_many_more():
    lines = [{"product": f"Loaf {n}", "quantity": "10", "unit": "pcs"} for n in range(45)]
    preview = rendered("production.schedule_published", items=lines)
    assert preview.subject.startswith("Production schedule for ")
    assert "- Loaf 29: 10 pcs" in preview.text and "Loaf 30" not in preview.text
    assert "… and 15 more lines in" in preview.text


def test_security_alert_names_the_account_and_never_a_secret():
    preview = rendered("auth.security_alert")
    data = sample("auth.security_alert")
    assert preview.subject == f"Security alert: {data['alert']}"
    assert data["email"] in preview.text and data["ip_address"] in preview.text
    assert dict(preview.facts)["IP address"] == data["ip_address"]


@pytest.mark.parametrize("event_type", sorted(CHAT))
def test_every_template_is_found_where_the_channel_app_puts_it(event_type):
    from consumers import rendering

    assert rendering.missing_templates([f"{n.template}.txt" for n in CHAT[event_type]]) == []
    assert any(path.endswith("chesanto_chat/message_templates") for path in rendering.search_path())
