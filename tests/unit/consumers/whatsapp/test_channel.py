"""The WhatsApp channel's per-message sequence (log row, expiry, window, render, send) against the
local Cloud API server and the database, without Kafka; and its start-up check."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from django.core.exceptions import ImproperlyConfigured

from chesanto_comms.embedded.whatsapp import DEFAULT_TEMPLATES, ServerTemplate
from consumers.outcomes import Verdict
from consumers.whatsapp import window
from consumers.whatsapp.channel import WhatsAppChannel
from consumers.whatsapp.models import WhatsAppLog
from tests.unit.consumers.whatsapp.conftest import client_for, event

pytestmark = pytest.mark.django_db


@pytest.fixture
def channel(cloud_server):
    channel = WhatsAppChannel(client=client_for(cloud_server))
    yield channel
    channel.close()


def sent_to(server, phone: str) -> dict:
    (request,) = server.to(phone)
    return request.form


def test_the_channel_reads_the_domains_of_its_four_notifications(channel):
    assert channel.domains() == ["auth", "dispatch", "sales"]
    assert channel.handles("sales.order_confirmed") and not channel.handles("inventory.stock_low")


def test_the_otp_is_sent_as_its_authentication_template_and_logged_with_the_code_masked(channel, cloud_server):
    otp = event("auth.otp_requested", phone="+254711000222")
    assert channel.deliver(otp).verdict is Verdict.DONE
    log = WhatsAppLog.objects.get(event_id=otp.id)
    assert (log.status, log.template, log.phone_number, log.provider) == ("SENT", "whatsapp_auth_otp", "+254711000222", "meta")
    assert (log.message_type, log.whatsapp_template, log.language) == ("template", "chesanto_login_code", "en")
    assert log.provider_message_id.startswith("wamid.") and "482913" not in log.message
    form = sent_to(cloud_server, "+254711000222")
    assert form["to"] == "254711000222" and form["template"]["components"][1]["parameters"][0]["text"] == "482913"


def test_an_expired_otp_is_not_sent(channel, cloud_server):
    late = event("auth.otp_requested", emitted=datetime.now(timezone.utc) - timedelta(minutes=11), phone="+254711000223")
    channel.deliver(late)
    assert WhatsAppLog.objects.get(event_id=late.id).status == "EXPIRED" and not cloud_server.to("+254711000223")


def test_an_order_without_a_customer_phone_sends_nothing(channel, cloud_server):
    order = event("sales.order_confirmed", customer_phone=None)
    assert channel.deliver(order).outcomes == () and not WhatsAppLog.objects.filter(event_id=order.id).exists()


def test_inside_the_window_a_text_goes_and_the_otp_stays_a_template(channel, cloud_server):
    phone = "+254711000224"
    window.record_inbound(phone, datetime.now(timezone.utc) - timedelta(hours=2))
    delivery = event("dispatch.delivery_assigned", phone=phone)
    otp = event("auth.otp_requested", phone=phone)
    channel.deliver(delivery), channel.deliver(otp)
    text, code = cloud_server.to(phone)
    assert text.form["type"] == "text" and text.form["text"]["body"].startswith("Your order ORD-2026-00417 is on its way")
    assert code.form["type"] == "template"
    log = WhatsAppLog.objects.get(event_id=delivery.id)
    assert (log.message_type, log.status, log.message) == ("text", "SENT", text.form["text"]["body"])


def test_a_text_refused_for_a_closed_window_goes_as_the_template(channel, cloud_server):
    phone = "+254711000225"
    window.record_inbound(phone, datetime.now(timezone.utc) - timedelta(hours=1))  # we think it is open
    cloud_server.script_failures(phone, 131047)  # Meta says it closed (in real life: a late callback)
    delivery = event("dispatch.delivery_assigned", phone=phone)
    assert channel.deliver(delivery).verdict is Verdict.DONE
    assert [r.form["type"] for r in cloud_server.to(phone)] == ["text", "template"]
    log = WhatsAppLog.objects.get(event_id=delivery.id)
    assert (log.status, log.message_type, log.whatsapp_template) == ("SENT", "template", "chesanto_delivery_update")


def test_a_transient_error_asks_for_a_retry_and_a_permanent_one_fails_at_once(channel, cloud_server):
    busy = event("dispatch.delivery_assigned", phone="+254709130429")
    assert channel.deliver(busy, final_attempt=False).verdict is Verdict.RETRY
    row = WhatsAppLog.objects.get(event_id=busy.id)
    assert (row.status, row.retry_count) == ("PENDING", 1) and "130429" in row.error_message
    bad = event("dispatch.delivery_assigned", phone="+254709131009")
    assert channel.deliver(bad, final_attempt=False).verdict is Verdict.DONE
    row = WhatsAppLog.objects.get(event_id=bad.id)
    assert row.status == "FAILED" and "error 131009" in row.error_message and row.retry_count == 1


def test_a_template_missing_at_meta_fails_with_metas_error_not_a_crash(channel, cloud_server):
    del cloud_server.templates[("chesanto_payment_receipt", "en")]
    receipt = event("sales.payment_received", phone="+254711000226")
    assert channel.deliver(receipt).verdict is Verdict.DONE
    row = WhatsAppLog.objects.get(event_id=receipt.id)
    assert row.status == "FAILED" and "132001" in row.error_message and "not approved" in row.error_message


def test_a_parameter_that_renders_empty_is_a_render_error(channel, cloud_server, settings):
    settings.WHATSAPP_TEMPLATES = {"whatsapp_dispatch_delivery": {"body": ["{{ order_id }}", "{{ eta }}", "{{ vehicle }}"]}}
    delivery = event("dispatch.delivery_assigned", phone="+254711000227", vehicle="")
    result = channel.deliver(delivery)
    assert result.verdict is Verdict.DEAD_LETTER and "Meta refuses empty parameters" in str(result.error)
    assert WhatsAppLog.objects.get(event_id=delivery.id).status == "RENDER_FAILED"


def test_the_preview_shows_the_text_and_the_template(channel):
    from consumers.template_preview import preview

    shown = preview("whatsapp_sales_payment_receipt")
    assert shown.error == "" and shown.text.startswith("Hello Mama Njeri Shop, we received KES 3,050.00 by M-Pesa")
    assert dict(shown.facts)["template"] == "chesanto_payment_receipt (en), UTILITY"
    assert dict(shown.facts)["parameters"].startswith("{{1}}=Mama Njeri Shop; {{2}}=KES 3,050.00")


# --- the start-up check ---------------------------------------------------------------------
def test_check_passes_with_the_approved_defaults(channel):
    channel.check()


def test_check_names_a_missing_token_or_phone_number_id(settings):
    settings.WHATSAPP_ACCESS_TOKEN, settings.WHATSAPP_PHONE_NUMBER_ID = "", "1065"
    with pytest.raises(ImproperlyConfigured, match="WHATSAPP_ACCESS_TOKEN is empty"):
        WhatsAppChannel().check()
    settings.WHATSAPP_ACCESS_TOKEN, settings.WHATSAPP_PHONE_NUMBER_ID = "token", ""
    with pytest.raises(ImproperlyConfigured, match="WHATSAPP_PHONE_NUMBER_ID is empty"):
        WhatsAppChannel().check()


def test_check_refuses_an_incomplete_template_configuration(channel, settings):
    settings.WHATSAPP_TEMPLATES = {"whatsapp_sales_payment_receipt": {"language": ""}}
    with pytest.raises(ImproperlyConfigured, match="whatsapp_sales_payment_receipt: no language code"):
        channel.check()


def test_check_refuses_templates_meta_has_not_approved(cloud_server, channel, settings):
    cloud_server.templates = {(t.name, t.language): t for t in DEFAULT_TEMPLATES if t.name != "chesanto_login_code"}
    cloud_server.templates[("chesanto_delivery_update", "en")] = ServerTemplate(
        "chesanto_delivery_update", "en", "UTILITY", "Order {{1}} comes {{2}}.", status="PAUSED")
    settings.WHATSAPP_TEMPLATES = {"whatsapp_sales_order_confirmation": {"body": ["{{ order_id }}"]}}
    with pytest.raises(ImproperlyConfigured) as caught:
        channel.check()
    message = str(caught.value)
    assert "whatsapp_auth_otp: template chesanto_login_code (en) does not exist in the business account" in message
    assert "whatsapp_dispatch_delivery: template chesanto_delivery_update (en) is PAUSED, not APPROVED" in message
    assert ("whatsapp_sales_order_confirmation: template chesanto_order_confirmation (en) takes 4 body parameters, "
            "the configuration gives 1") in message


def test_check_starts_anyway_when_meta_cannot_be_reached(cloud_server, caplog):
    channel = WhatsAppChannel(client=client_for(cloud_server, base_url="http://127.0.0.1:9", timeout=0.5))
    channel.check()
    assert "their approval is unchecked" in caplog.text


def test_check_refuses_a_business_account_meta_does_not_know(cloud_server):
    channel = WhatsAppChannel(client=client_for(cloud_server, business_account_id="404"))
    with pytest.raises(ImproperlyConfigured, match="WHATSAPP_BUSINESS_ACCOUNT_ID='404': Meta refused"):
        channel.check()
