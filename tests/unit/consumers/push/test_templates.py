"""Each push notification renders from its event's sample data: a short title and body, the data
the app reads (strings only), FCM's per-platform urgency; and what a push must never carry."""
from __future__ import annotations

import json

import pytest

from consumers.push.compose import BODY_MAX, TITLE_MAX, PushOptions, PushTooLarge, clip, render_push
from consumers.push.notifications import PUSH
from outbox.events import get_event_type
from outbox.events.samples import sample

CASES = [(event_type, n) for event_type, ns in PUSH.items() for n in ns]
EXPECTED = {  # what each rendered push says, from the samples
    "push_auth_security_alert": ("Security alert: New sign-in from an unknown device",
                                 "21 Nov 2026, 22:05 EAT: Chrome on Windows, near Nakuru, Kenya. Not you? Change your "
                                 "password now."),
    "push_inventory_low_stock": ("Low stock: Wheat flour (baking)",
                                 "12.5 kg left, below the threshold of 50 kg. Please reorder."),
    "push_dispatch_delivery_assigned": ("New delivery: ORD-2026-00417",
                                        "ETA today 2-3 pm, vehicle KDA 123B. Open the app for the customer and the "
                                        "route."),
    "push_auth_daily_reminder": ("Daily sales entry due",
                                 "Kiprono Langat, your sales entry for 21 Nov 2026 is not in yet. Tap to enter it."),
}


def parse(event_type: str, **changes):
    return get_event_type(event_type).parse({**sample(event_type), **changes})


def test_the_four_notifications_of_the_issue():
    assert sorted(PUSH) == ["auth.daily_entry_reminder", "auth.security_alert", "dispatch.delivery_assigned",
                            "inventory.stock_low"]


@pytest.mark.parametrize("event_type, notification", CASES, ids=[n.name for _, n in CASES])
def test_each_push_renders_short_from_its_sample(event_type, notification):
    push = render_push(notification, parse(event_type), event_id="e-1", event_type=event_type)
    assert (push.title, push.body) == EXPECTED[notification.name]
    assert len(push.title) <= TITLE_MAX and len(push.body) <= BODY_MAX
    assert push.data["event_id"] == "e-1" and push.data["template"] == notification.name
    assert all(isinstance(v, str) for v in push.data.values()) and push.data["screen"]


def test_the_payload_is_fcm_v1_shaped_per_platform():
    (alert,) = PUSH["auth.security_alert"]
    payload = render_push(alert, parse("auth.security_alert")).payload("tok-1")
    assert payload["token"] == "tok-1" and set(payload["notification"]) == {"title", "body"}
    assert payload["android"] == {"priority": "HIGH"}
    assert payload["apns"] == {"headers": {"apns-priority": "10"}, "payload": {"aps": {"sound": "default"}}}
    (reminder,) = PUSH["auth.daily_entry_reminder"]
    payload = render_push(reminder, parse("auth.daily_entry_reminder")).payload("tok-2", now=1_800_000_000)
    assert payload["android"] == {"priority": "NORMAL", "ttl": "43200s"}
    assert payload["apns"]["headers"] == {"apns-priority": "5", "apns-expiration": str(1_800_000_000 + 43200)}
    assert payload["data"]["url"] == "https://bms.chesanto.co.ke/sales/daily-entry"


def test_optional_fields_left_out_still_render():
    (alert,) = PUSH["auth.security_alert"]
    push = render_push(alert, parse("auth.security_alert", details="", ip_address=""))
    assert push.body == "21 Nov 2026, 22:05 EAT. Not you? Change your password now."
    (assigned,) = PUSH["dispatch.delivery_assigned"]
    assert render_push(assigned, parse("dispatch.delivery_assigned", vehicle="")).body.startswith("ETA today 2-3 pm.")


def test_a_long_product_name_is_clipped_not_refused():
    (low,) = PUSH["inventory.stock_low"]
    push = render_push(low, parse("inventory.stock_low", product_name="Unga wa ngano " * 10))
    assert len(push.title) == TITLE_MAX and push.title.endswith("…")
    assert clip("a  b\n c", 10) == "a b c"


def test_reserved_data_keys_and_oversized_pushes_are_render_errors():
    from consumers.notifications import Notification
    from consumers.push.recipients import devices_from

    def push(data):
        return Notification("push_x", "push/inventory/low_stock", devices_from("recipients", "recipient_user_ids"),
                            subject="Low stock: {{ product_name }}", options={"push": PushOptions(data=data)})
    with pytest.raises(ValueError, match="data key 'google.c' is reserved"):
        render_push(push(lambda d: {"google.c": "x"}), parse("inventory.stock_low"))
    with pytest.raises(PushTooLarge, match="over FCM's 4096"):
        render_push(push(lambda d: {"blob": "x" * 5000}), parse("inventory.stock_low"))


def test_secret_fields_reach_a_push_template_masked_only():
    from consumers.notifications import Notification
    from consumers.push.recipients import devices_from

    otp = Notification("push_otp", "push/inventory/low_stock", devices_from("email", "user_id"),
                       subject="Code {{ code }}",
                       extra_context=lambda d: {"current_stock": 1, "threshold": 2, "unit": "kg"})
    push = render_push(otp, parse("auth.otp_requested", code="482913"))
    assert "482913" not in json.dumps(push.payload("t")) and push.title == "Code **********"
