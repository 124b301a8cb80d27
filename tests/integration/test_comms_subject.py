"""`manage.py comms_subject export|erase`: a customer's data, held after real deliveries (emit → relay → Kafka →
`consume email` → SMTP), comes out whole as JSON and is then erased or anonymised as docs/recipients.md says —
their delivery rows kept without their address or words, their consent record, inbox, devices and WhatsApp
contact gone, an active suppression kept and said to be kept, nobody else's data touched."""
from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.utils import timezone

from consumers import preferences, profiles
from consumers.email.models import EmailLog
from consumers.inbox.models import InboxItem
from consumers.models import ConsentChange, RecipientProfile, Suppression
from consumers.push.models import PushDevice, PushLog
from consumers.sms.models import SMSLog
from consumers.suppressions import suppress
from consumers.whatsapp.models import WhatsAppContact
from outbox import emit
from outbox.models import OutboxEvent, ScheduledEvent
from scheduling.models import Schedule
from tests.support.logs import final_email_log as final_log

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

NUMBER = "+254712345678"


def order(address: str, order_id: str) -> dict:
    return {"order_id": order_id, "customer_email": address, "total": "110.00",
            "items": [{"product": "Mandazi", "quantity": "11", "unit_price": "10.00"}]}


def run(*args) -> str:
    out = io.StringIO()
    call_command("comms_subject", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.fixture
def customer(pipeline, unique_email):
    """A customer with an account, two delivered emails, preferences, a suppression, an SMS, an inbox item, a
    device and a WhatsApp contact; and a bystander who must keep everything."""
    address = unique_email("Wanjiku")  # mixed case: the logs and the request may differ in case
    user = get_user_model().objects.create_user("wanjiku", address.lower())
    bystander = unique_email("other")
    logs = [final_log(emit("sales.order_confirmed", order(address, f"ORD-S-{n}"))) for n in (1, 2)]
    other = final_log(emit("sales.order_confirmed", order(bystander, "ORD-S-3")))
    preferences.set(address, "marketing", "email", True, wording="Send me offers")
    preferences.set(user, "operational", "inbox", False)
    preferences.set(bystander, "marketing", "email", True)
    suppress("sms", NUMBER, Suppression.Reason.OPTED_OUT, source="twilio STOP")
    SMSLog.objects.create(phone_number=NUMBER, message="Karibu Chesanto", template="sms/x.txt", provider="test",
                          status="SENT")
    InboxItem.objects.create(user=user, title="Your order", body="Order ORD-S-1 is ready", template="inbox/x",
                             status="SENT", feed_seq=None)
    device = PushDevice.objects.create(user=user, token="tok-" + "a" * 40, platform="android")
    PushLog.objects.create(recipient=device.token, user=user, title="Ready", body="Your bread", template="push/x",
                           status="SENT")
    WhatsAppContact.objects.create(phone_number=NUMBER, last_inbound_at=logs[0].sent_at)
    emit("sales.order_confirmed", order(address, "ORD-S-9"), deliver_at=timezone.now() + timedelta(days=2))
    Schedule.objects.create(name="Wanjiku's weekly order", cron="0 8 * * 1", event_type="sales.order_confirmed",
                            payload=order("", "ORD-W"), audience=[{"customer_email": address}])
    profiles.set_language(address, "sw")
    profiles.set_time_zone(NUMBER, "Europe/London")
    return {"address": address, "user": user, "logs": logs, "other": other, "bystander": bystander}


def test_export_writes_everything_held_about_a_customer(customer, tmp_path):
    target = tmp_path / "wanjiku.json"
    call_command("comms_subject", "export", customer["address"].upper(), "--output", str(target),
                 stdout=io.StringIO(), stderr=io.StringIO())
    held = json.loads(target.read_text())
    assert held["subject"]["user_ids"] == [customer["user"].pk]
    assert sorted(row["pk"] for row in held["channels"]["email"]["log"]) == sorted(log.pk for log in customer["logs"])
    assert all("Mandazi" in json.dumps(row["context_data"]) for row in held["channels"]["email"]["log"])
    assert {(row["category"], row["channel"]) for row in held["preferences_history"]} == {
        ("marketing", "email"), ("operational", "inbox")}
    assert sorted(row["wording"] for row in held["preferences_history"]) == ["", "Send me offers"]
    assert [row["body"] for row in held["channels"]["inbox"]["items"]] == ["Order ORD-S-1 is ready"]
    assert [row["token"] for row in held["channels"]["push"]["devices"]] == ["tok-" + "a" * 40]
    assert [row["title"] for row in held["channels"]["push"]["log"]] == ["Ready"]
    assert len(held["outbox_events"]) == 2 and all(customer["address"] in json.dumps(e["payload"])
                                                    for e in held["outbox_events"])
    assert [(row["key"], row["language"]) for row in held["profiles"]] == [(customer["address"].lower(), "sw")]
    assert [event["payload"]["order_id"] for event in held["scheduled_events"]] == ["ORD-S-9"]
    assert [schedule["name"] for schedule in held["schedules"]] == ["Wanjiku's weekly order"]
    assert held["suppressions"] == []  # the customer's suppression is of the number, not named by the address

    by_number = json.loads(run("export", "0712 345 678"))
    assert [row["message"] for row in by_number["channels"]["sms"]["log"]] == ["Karibu Chesanto"]
    assert [row["reason"] for row in by_number["suppressions"]] == ["opted_out"]
    assert [row["phone_number"] for row in by_number["channels"]["whatsapp"]["contacts"]] == [NUMBER]


def test_erase_removes_or_anonymises_and_keeps_only_what_it_says(customer):
    out = run("erase", f"user:{customer['user'].pk}", "--yes")
    assert "email log rows anonymised: 2" in out and "inbox items deleted: 1" in out
    assert "preference changes deleted: 2" in out and "push devices deleted: 1" in out
    assert "scheduled events cancelled: 1" in out and not ScheduledEvent.objects.exists()
    assert "left: the recurring schedule \"Wanjiku's weekly order\" names them" in out

    rows = EmailLog.objects.filter(pk__in=[log.pk for log in customer["logs"]])
    assert [row.status for row in rows] == ["SENT", "SENT"]  # the delivery record stays ...
    assert all(row.recipient.startswith("erased-") and row.subject == "" and row.context_data is None for row in rows)
    assert len({row.recipient for row in rows}) == 2  # ... unlinkable: each row its own marker
    assert not EmailLog.objects.filter(recipient__iexact=customer["address"]).exists()
    assert not ConsentChange.objects.filter(recipient__in=[customer["address"].lower(), f"user:{customer['user'].pk}"]).exists()
    assert not InboxItem.objects.filter(user=customer["user"]).exists()
    assert not RecipientProfile.objects.filter(key=customer["address"].lower()).exists()
    assert not PushDevice.objects.filter(user=customer["user"]).exists()
    push = PushLog.objects.get(template="push/x")
    assert (push.user_id, push.title, push.body) == (None, "", "") and push.recipient.startswith("erased-")
    assert not OutboxEvent.objects.filter(payload__customer_email=customer["address"]).exists()

    # The bystander keeps everything.
    assert EmailLog.objects.get(pk=customer["other"].pk).recipient == customer["bystander"]
    assert preferences.get(customer["bystander"], "marketing", "email") is True
    assert OutboxEvent.objects.filter(payload__customer_email=customer["bystander"]).exists()

    by_number = run("erase", NUMBER, "--yes")
    assert "left: 1 active suppression(s) kept" in by_number
    assert Suppression.objects.filter(channel="sms", address=NUMBER, lifted_at__isnull=True).exists()
    assert not WhatsAppContact.objects.filter(phone_number=NUMBER).exists()
    assert "profiles deleted: 1" in by_number and not RecipientProfile.objects.filter(key=NUMBER).exists()
    assert SMSLog.objects.get(template="sms/x.txt").message == ""
    assert json.loads(run("export", NUMBER))["channels"]["sms"]["log"] == []  # nothing left to find


def test_a_name_that_is_no_one_is_refused_clearly(db):
    with pytest.raises(CommandError, match=r"'not a person' is not an email address, a phone number"):
        run("export", "not a person")
    with pytest.raises(CommandError, match=r"no user has id '999999'"):
        run("erase", "user:999999", "--yes")
