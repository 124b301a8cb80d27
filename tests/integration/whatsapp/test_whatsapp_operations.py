"""The WhatsApp channel as a citizen of the shared machinery: `consume whatsapp` refuses a bad
configuration, and the admin, the event timeline, the template catalogue and previews, and the
cleanup all know its log because it is registered."""
from __future__ import annotations

import uuid
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from chesanto_comms.embedded.whatsapp import DEFAULT_TEMPLATES, WhatsAppCloudServer
from consumers.models import MessageTemplate
from consumers.whatsapp.models import WhatsAppContact, WhatsAppLog
from outbox import emit
from outbox.events.samples import sample

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


@pytest.fixture
def staff(client):
    user = get_user_model().objects.create_user("manager", password="pw", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label__in=["outbox", "communications", "comms_email", "comms_sms", "comms_whatsapp", "comms_inbox", "comms_push"]))
    client.force_login(user)
    return user


def whatsapp_log(event_id=None, age_days: int = 0, **fields) -> WhatsAppLog:
    defaults = {"event_id": event_id or uuid.uuid4(), "phone_number": "+254712345678", "template": "whatsapp_dispatch_delivery",
                "message": "template chesanto_delivery_update (en): {{1}}=ORD-1", "message_type": "template",
                "whatsapp_template": "chesanto_delivery_update", "language": "en", "provider": "meta", "status": "SENT"}
    log = WhatsAppLog.objects.create(**{**defaults, **fields})
    if age_days:
        WhatsAppLog.objects.filter(pk=log.pk).update(sent_at=timezone.now() - timedelta(days=age_days))
    return log


# --- consume whatsapp refuses to start, saying why -------------------------------------------
def test_consume_refuses_to_start_without_the_token_or_the_phone_number_id(settings):
    settings.WHATSAPP_ACCESS_TOKEN, settings.WHATSAPP_PHONE_NUMBER_ID = "", "106540352242922"
    with pytest.raises(CommandError, match="WHATSAPP_ACCESS_TOKEN is empty"):
        call_command("consume", "whatsapp")
    settings.WHATSAPP_ACCESS_TOKEN, settings.WHATSAPP_PHONE_NUMBER_ID = "token", ""
    with pytest.raises(CommandError, match="WHATSAPP_PHONE_NUMBER_ID is empty"):
        call_command("consume", "whatsapp")


def test_consume_refuses_an_incomplete_template_configuration(settings):
    settings.WHATSAPP_ACCESS_TOKEN, settings.WHATSAPP_PHONE_NUMBER_ID = "token", "106540352242922"
    settings.WHATSAPP_TEMPLATES = '{"whatsapp_auth_otp": {"name": "chesanto_login_code", "buttons": []}}'
    with pytest.raises(CommandError, match="whatsapp_auth_otp: an authentication template takes the code twice"):
        call_command("consume", "whatsapp", skip_checks=True)


def test_consume_refuses_a_template_meta_has_not_approved(settings):
    pending = [t for t in DEFAULT_TEMPLATES if t.name != "chesanto_payment_receipt"]
    with WhatsAppCloudServer(templates=pending) as server:
        settings.WHATSAPP_ACCESS_TOKEN, settings.WHATSAPP_PHONE_NUMBER_ID = server.access_token, server.phone_number_id
        settings.WHATSAPP_API_URL, settings.WHATSAPP_BUSINESS_ACCOUNT_ID = server.url, server.business_account_id
        with pytest.raises(CommandError, match="whatsapp_sales_payment_receipt: template chesanto_payment_receipt "
                                               r"\(en\) does not exist in the business account"):
            call_command("consume", "whatsapp")


# --- the shared machinery --------------------------------------------------------------------
def test_the_event_timeline_shows_the_whatsapp_delivery(client, staff):
    event_id = emit("dispatch.delivery_assigned", sample("dispatch.delivery_assigned"))
    log = whatsapp_log(event_id, status="REJECTED", error_message="WhatsApp failed, error 131026: Message undeliverable")
    page = client.get(reverse("admin:outbox_outboxevent_change", args=[event_id])).content.decode()
    assert "WhatsApp REJECTED" in page and "error 131026" in page
    assert reverse("admin:comms_whatsapp_whatsapplog_change", args=[log.pk]) in page


def test_the_log_admin_lists_and_shows_rows_and_is_read_only(client, staff):
    log = whatsapp_log()
    listing = client.get(reverse("admin:comms_whatsapp_whatsapplog_changelist"), {"q": "+254712345678"})
    assert listing.status_code == 200 and "chesanto_delivery_update" in listing.content.decode()
    assert client.get(reverse("admin:comms_whatsapp_whatsapplog_change", args=[log.pk])).status_code == 200
    assert client.get(reverse("admin:comms_whatsapp_whatsapplog_add")).status_code == 403
    assert client.post(reverse("admin:comms_whatsapp_whatsapplog_delete", args=[log.pk]), {"post": "yes"}).status_code == 403
    WhatsAppContact.objects.create(phone_number="+254712345678", last_inbound_at=timezone.now())
    assert client.get(reverse("admin:comms_whatsapp_whatsappcontact_changelist")).status_code == 200
    assert client.get(reverse("admin:comms_whatsapp_whatsappcontact_add")).status_code == 403


def test_the_templates_are_in_the_catalogue_with_a_preview(client, staff):
    rows = dict(MessageTemplate.objects.filter(type="WHATSAPP").values_list("name", "template_path"))
    assert rows == {"whatsapp_auth_otp": "whatsapp/auth/otp.txt",
                    "whatsapp_sales_order_confirmation": "whatsapp/sales/order_confirmation.txt",
                    "whatsapp_sales_payment_receipt": "whatsapp/sales/payment_receipt.txt",
                    "whatsapp_dispatch_delivery": "whatsapp/dispatch/delivery.txt"}
    otp = MessageTemplate.objects.get(name="whatsapp_auth_otp")
    page = client.get(reverse("admin:communications_messagetemplate_change", args=[otp.pk])).content.decode()
    assert 'id="whatsapp-text"' in page and "482913" in page
    assert "chesanto_login_code (en), AUTHENTICATION" in page


def test_cleanup_deletes_old_whatsapp_logs_in_batches():
    old = [whatsapp_log(age_days=400) for _ in range(3)]
    recent = whatsapp_log(age_days=30)
    out = StringIO()
    call_command("cleanup_logs", "whatsapp", "--batch-size", "2", stdout=out)
    assert "Deleted 3 old WhatsApp logs" in out.getvalue()
    assert not WhatsAppLog.objects.filter(pk__in=[log.pk for log in old]).exists()
    call_command("cleanup_logs", "whatsapp", "--days", "20", stdout=StringIO())
    assert not WhatsAppLog.objects.filter(pk=recent.pk).exists()


@pytest.mark.django_db(transaction=True)  # outbox_purge commits batch by batch
def test_the_whole_cleanup_schedule_includes_whatsapp():
    whatsapp_log(age_days=400)
    out = StringIO()
    call_command("cleanup", stdout=out)
    assert "Deleted 1 old WhatsApp logs" in out.getvalue()


def test_the_reports_page_counts_whatsapp_failures_and_successes(client, staff):
    whatsapp_log(status="FAILED", error_message="Cloud API HTTP 404 error 132001: template does not exist")
    whatsapp_log(status="DELIVERED", opened_at=timezone.now())  # read: a success
    page = client.get(reverse("admin:communications_reports")).content.decode()
    assert "WhatsApp" in page and "error 132001" in page
    assert "50.0" in page  # one of the two whatsapp_dispatch_delivery messages succeeded
