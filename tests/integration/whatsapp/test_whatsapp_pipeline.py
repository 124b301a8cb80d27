"""Business events to WhatsApp, end to end: outbox -> relay -> Kafka -> `consume whatsapp` -> the
Cloud API (a local server) -> its signed status callbacks -> the webhook -> the log."""
from __future__ import annotations

import json
import time

import pytest
from django.db import transaction

from consumers.whatsapp.models import WhatsAppContact
from consumers.whatsapp.webhooks import moment
from outbox import emit
from outbox.events.samples import sample
from tests.integration.whatsapp.conftest import final_log

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def posted_for(posted, phone: str, status: str):
    return next(c for c in posted if c.number == phone and c.status == status)


def template_of(request) -> tuple[str, list[str]]:
    template = request.form["template"]
    body = next(c for c in template["components"] if c["type"] == "body")
    return template["name"], [p["text"] for p in body["parameters"]]


def test_each_notification_goes_as_its_approved_template_and_is_logged_sent(whatsapp_pipeline, phone):
    server = whatsapp_pipeline.server
    with transaction.atomic():
        otp = emit("auth.otp_requested", {"phone": phone, "name": "Wanjiku", "code": "482913"})
        order = emit("sales.order_confirmed", {**sample("sales.order_confirmed"), "customer_phone": phone})
        receipt = emit("sales.payment_received", {**sample("sales.payment_received"), "phone": phone})
        delivery = emit("dispatch.delivery_assigned", {**sample("dispatch.delivery_assigned"), "phone": phone})
    logs = {name: final_log(event_id) for name, event_id in
            (("otp", otp), ("order", order), ("receipt", receipt), ("delivery", delivery))}
    requests = {template_of(r)[0]: r for r in server.to(phone)}

    assert {name: template_of(request) for name, request in requests.items()} == {
        "chesanto_login_code": ("chesanto_login_code", ["482913"]),
        "chesanto_order_confirmation": ("chesanto_order_confirmation",
                                        ["Mama Njeri Shop", "ORD-2026-00417", "KES 3,050.00", "23 Nov 2026"]),
        "chesanto_payment_receipt": ("chesanto_payment_receipt",
                                     ["Mama Njeri Shop", "KES 3,050.00", "M-Pesa", "SKL4H7XQ2P", "RCT-2026-1534"]),
        "chesanto_delivery_update": ("chesanto_delivery_update", ["ORD-2026-00417", "today 2-3 pm", "Baraka Mwangi (KDA 123B)"]),
    }
    copy_code = requests["chesanto_login_code"].form["template"]["components"][1]
    assert copy_code == {"type": "button", "sub_type": "url", "index": "0", "parameters": [{"type": "text", "text": "482913"}]}
    for log in logs.values():
        assert log.status in ("SENT", "DELIVERED") and log.message_type == "template" and log.provider == "meta"
        (request,) = [r for r in server.to(phone) if template_of(r)[0] == log.whatsapp_template]
        assert json.loads(request.answer)["messages"][0]["id"] == log.provider_message_id
    assert logs["otp"].message == "template chesanto_login_code (en): {{1}}=******; button 0=******"


def test_status_callbacks_mark_the_log_delivered_then_read(whatsapp_pipeline, phone, callbacks):
    server = whatsapp_pipeline.server
    server.script_statuses(phone, "sent", "delivered", "read")
    event_id = emit("dispatch.delivery_assigned", {**sample("dispatch.delivery_assigned"), "phone": phone})
    posted = server.wait_for_callbacks(lambda all_: len([c for c in all_ if c.number == phone]) == 3)
    log = final_log(event_id, status="DELIVERED")
    assert [(c.status, c.http_status, c.answer.strip()) for c in posted if c.number == phone] == [
        ("sent", 200, "duplicate: 1"),  # the log said SENT already, when Meta took it
        ("delivered", 200, "applied: 1"),
        ("read", 200, "applied: 1"),
    ]
    delivered_at = json.loads(posted_for(posted, phone, "delivered").body)["entry"][0]["changes"][0]["value"]
    assert log.delivered_at == moment(delivered_at["statuses"][0]["timestamp"])  # no longer "handed to Meta"
    read_at = json.loads(posted_for(posted, phone, "read").body)["entry"][0]["changes"][0]["value"]
    assert log.opened_at == moment(read_at["statuses"][0]["timestamp"])
    assert callbacks.since_start() == {"duplicate": 1, "applied": 2}


def test_a_number_without_whatsapp_is_rejected_by_the_failed_callback(whatsapp_pipeline):
    event_id = emit("dispatch.delivery_assigned", {**sample("dispatch.delivery_assigned"), "phone": "+254709131026"})
    log = final_log(event_id, status="REJECTED")
    assert log.provider_message_id and "WhatsApp failed, error 131026: Message undeliverable" in log.error_message
    assert log.retry_count == 0  # Meta took it; the failure came later


def test_inside_the_window_a_text_goes_and_outside_it_the_template(whatsapp_pipeline, phone):
    server = whatsapp_pipeline.server
    outside = emit("dispatch.delivery_assigned", {**sample("dispatch.delivery_assigned"), "phone": phone})
    assert final_log(outside).message_type == "template"

    wrote = server.customer_writes(phone)
    assert (wrote.http_status, wrote.answer.strip()) == (200, "applied: 1")
    assert WhatsAppContact.objects.filter(phone_number=phone).exists()
    inside = emit("dispatch.delivery_assigned", {**sample("dispatch.delivery_assigned"), "phone": phone,
                                                 "order_id": "ORD-2026-00418"})
    log = final_log(inside, status="DELIVERED")
    assert (log.message_type, log.whatsapp_template) == ("text", "chesanto_delivery_update")
    assert server.to(phone)[-1].form["text"]["body"] == log.message
    assert log.message.startswith("Your order ORD-2026-00418 is on its way.")


def test_a_transient_error_is_retried_through_the_retry_topic_until_sent(whatsapp_pipeline, phone):
    server = whatsapp_pipeline.server
    server.script_failures(phone, 130429, 131056)
    started = time.monotonic()
    event_id = emit("sales.payment_received", {**sample("sales.payment_received"), "phone": phone})
    log = final_log(event_id, timeout=40)
    assert log.status in ("SENT", "DELIVERED") and log.retry_count == 2
    assert time.monotonic() - started >= 3  # WHATSAPP_RETRY_DELAY=1: after 1 s, then 2 s
    assert [r.status for r in server.to(phone)] == [400, 400, 200]
    assert log.error_message == ""


def test_a_permanent_error_fails_at_once_and_the_consumer_goes_on(whatsapp_pipeline, phone):
    refused = emit("dispatch.delivery_assigned", {**sample("dispatch.delivery_assigned"), "phone": "+254709131009"})
    log = final_log(refused)
    assert (log.status, log.retry_count, log.provider_message_id) == ("FAILED", 1, "")
    assert "error 131009: (#131009) Parameter value is not valid" in log.error_message
    assert len(whatsapp_pipeline.server.to("+254709131009")) == 1
    ok = emit("dispatch.delivery_assigned", {**sample("dispatch.delivery_assigned"), "phone": phone})
    assert final_log(ok).status in ("SENT", "DELIVERED")
    assert whatsapp_pipeline.consumer.running and whatsapp_pipeline.relay.running


def test_forged_unsigned_and_replayed_callbacks_are_refused_and_counted(whatsapp_pipeline, phone, live_server, callbacks):
    import urllib.error
    import urllib.request

    server = whatsapp_pipeline.server
    server.script_statuses(phone, "sent")
    event_id = emit("dispatch.delivery_assigned", {**sample("dispatch.delivery_assigned"), "phone": phone})
    log = final_log(event_id)
    posted = server.wait_for_callbacks(lambda all_: any(c.number == phone for c in all_))
    (genuine,) = [c for c in posted if c.number == phone]

    def post(body: bytes, signature: str | None) -> int:
        headers = {"Content-Type": "application/json", **({"X-Hub-Signature-256": signature} if signature else {})}
        request = urllib.request.Request(f"{live_server.url}/webhooks/whatsapp/", body, headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code

    delivered = server.envelope(server.status_body(phone, log.provider_message_id, "failed", error=131026))
    forged = "sha256=" + "0" * 64
    assert post(delivered, forged) == 403
    assert post(delivered, None) == 403
    assert post(delivered, server.signed(delivered.replace(b"failed", b"read"))) == 403  # signed other bytes
    assert post(genuine.body, server.signed(genuine.body)) == 409  # the same callback again
    log.refresh_from_db()
    assert (log.status, log.error_message) == ("SENT", "")
    assert callbacks.since_start() == {"duplicate": 1, "refused_forged": 2, "refused_unsigned": 1, "refused_replay": 1}


def test_replay_sends_again_only_what_the_log_lost(whatsapp_pipeline, phone, settings):
    import re
    from io import StringIO

    from django.core.management import call_command
    from django.utils import timezone

    from consumers.whatsapp.models import WhatsAppLog

    env = whatsapp_pipeline.env
    settings.OUTBOX_TOPIC_PREFIX = env["OUTBOX_TOPIC_PREFIX"]
    for name in ("WHATSAPP_ACCESS_TOKEN", "WHATSAPP_PHONE_NUMBER_ID", "WHATSAPP_API_URL"):
        setattr(settings, name, env[name])  # the replay delivers from this process
    other = phone[:-1] + str((int(phone[-1]) + 1) % 10)
    time.sleep(1.2)  # records of earlier tests fall before `since`
    since = timezone.now()
    kept = emit("dispatch.delivery_assigned", {**sample("dispatch.delivery_assigned"), "phone": phone})
    lost = emit("dispatch.delivery_assigned", {**sample("dispatch.delivery_assigned"), "phone": other})
    final_log(kept), final_log(lost)
    until = timezone.now()
    WhatsAppLog.objects.filter(event_id=lost).delete()

    out = StringIO()
    call_command("replay", "--channel", "whatsapp", "--since", since.isoformat(), "--until", until.isoformat(), stdout=out)
    summary = re.search(r"read (\d+), skipped (\d+), sent (\d+), failed (\d+)", out.getvalue())
    assert summary and summary.groups() == ("2", "1", "1", "0"), out.getvalue()
    assert final_log(lost).status in ("SENT", "DELIVERED")
    server = whatsapp_pipeline.server
    assert (len(server.to(phone)), len(server.to(other))) == (1, 2)
