"""The admin pages, for staff only: outbox inspection with its timeline, delivery logs,
template previews and the monitoring reports."""
from __future__ import annotations

import uuid

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from consumers.email.models import EmailLog
from consumers.models import MessageTemplate
from consumers.sms.models import SMSLog
from outbox import emit
from outbox.models import OutboxEvent

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

PAGES = [
    "admin:outbox_outboxevent_changelist",
    "admin:comms_email_emaillog_changelist",
    "admin:comms_sms_smslog_changelist",
    "admin:communications_messagetemplate_changelist",
    "admin:communications_deadletter_changelist",
    "admin:communications_reports",
]


@pytest.fixture
def staff(client):
    user = get_user_model().objects.create_user("manager", password="pw", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label__in=["outbox", "communications", "comms_email", "comms_sms", "comms_whatsapp", "comms_inbox", "comms_push"]))
    client.force_login(user)
    return user


def invited(address="wanjiku@example.com"):
    return emit("auth.user_invited", {"email": address, "name": "Wanjiku", "role": "Salesman",
                                      "temp_password": "Sekret-123", "login_url": "https://bms.chesanto.test/login"})


@pytest.mark.parametrize("page", PAGES)
def test_pages_refuse_anonymous_and_non_staff(client, page):
    url = reverse(page)
    assert client.get(url).status_code == 302 and "/login/" in client.get(url)["Location"]
    client.force_login(get_user_model().objects.create_user("baker", password="pw"))  # not staff
    response = client.get(url)
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.parametrize("page", PAGES)
def test_pages_render_for_staff(client, staff, page):
    invited()
    assert client.get(reverse(page)).status_code == 200


def test_outbox_list_shows_backlog_and_finds_an_event_by_id_or_aggregate(client, staff):
    event_id = invited("a@example.com")
    invited("b@example.com")
    page = client.get(reverse("admin:outbox_outboxevent_changelist")).content.decode()
    assert 'id="backlog-count">2<' in page
    by_id = client.get(reverse("admin:outbox_outboxevent_changelist"), {"q": str(event_id)}).content.decode()
    assert "a@example.com" in by_id and "b@example.com" not in by_id
    by_key = client.get(reverse("admin:outbox_outboxevent_changelist"), {"q": "b@example.com"}).content.decode()
    assert "b@example.com" in by_key and "a@example.com" not in by_key


def test_with_debezium_publishing_the_outbox_list_says_publication_is_not_tracked(client, staff, settings):
    settings.OUTBOX_PUBLISHER = "debezium"
    invited()
    page = client.get(reverse("admin:outbox_outboxevent_changelist")).content.decode()
    assert "Publication is not tracked" in page and "OUTBOX_PUBLISHER=debezium" in page
    assert 'id="backlog-count"' not in page and "not tracked</td>" in page  # no row claims to be pending


def test_event_page_masks_secrets_and_links_its_deliveries(client, staff):
    event_id = invited()
    OutboxEvent.objects.filter(id=event_id).update(published_at=timezone.now(), kafka_topic="chesanto.auth",
                                                   kafka_partition=3, kafka_offset=41)
    log = EmailLog.objects.create(event_id=event_id, recipient="wanjiku@example.com", template="auth_invitation",
                                  subject="Welcome", status="FAILED", error_message="550 mailbox unavailable")
    page = client.get(reverse("admin:outbox_outboxevent_change", args=[event_id])).content.decode()
    assert "Sekret-123" not in page and "**********" in page
    assert "chesanto.auth partition 3 offset 41" in page
    assert reverse("admin:comms_email_emaillog_change", args=[log.pk]) in page
    assert "550 mailbox unavailable" in page


def test_requeue_action_unparks_rows(client, staff):
    event_id = invited()
    OutboxEvent.objects.filter(id=event_id).update(parked_at=timezone.now(), attempts=10, last_error="too large")
    response = client.post(reverse("admin:outbox_outboxevent_changelist"),
                           {"action": "requeue_rows", "_selected_action": [str(event_id)]})
    assert response.status_code == 302
    row = OutboxEvent.objects.get(id=event_id)
    assert row.parked_at is None and row.attempts == 0


def test_log_admin_is_read_only_as_the_seed_says(client, staff):
    log = EmailLog.objects.create(event_id=uuid.uuid4(), recipient="x@example.com", template="auth_otp", subject="s")
    assert client.get(reverse("admin:comms_email_emaillog_add")).status_code == 403
    assert client.post(reverse("admin:comms_email_emaillog_delete", args=[log.pk]), {"post": "yes"}).status_code == 403
    assert EmailLog.objects.filter(pk=log.pk).exists()


def test_template_preview_renders_email_and_sms_from_samples(client, staff):
    email = MessageTemplate.objects.get(name="sales_order_confirmation")
    page = client.get(reverse("admin:communications_messagetemplate_change", args=[email.pk])).content.decode()
    assert 'id="email-subject">Order' in page and "KES" in page and 'id="email-text"' in page
    sms = MessageTemplate.objects.filter(type="SMS").first()
    page = client.get(reverse("admin:communications_messagetemplate_change", args=[sms.pk])).content.decode()
    assert 'id="sms-text"' in page and 'id="sms-encoding"' in page and "segment" in page


def test_templates_are_synced_with_the_code():
    names = set(MessageTemplate.objects.values_list("name", flat=True))
    assert {"auth_invitation", "auth_otp", "sales_order_confirmation", "reports_scheduled_report"} <= names
    assert MessageTemplate.objects.get(name="auth_otp").required_context == ["code"]


def test_reports_page_lists_failures_and_success_rates(client, staff):
    for status in ("SENT", "SENT", "SENT", "FAILED"):
        EmailLog.objects.create(event_id=uuid.uuid4(), recipient=f"{uuid.uuid4().hex[:6]}@example.com",
                                template="auth_otp", subject="s", status=status, error_message="boom" if status == "FAILED" else "")
    SMSLog.objects.create(event_id=uuid.uuid4(), phone_number="+254700000001", message="m", template="sms_auth_otp",
                          status="FAILED", error_message="InvalidPhoneNumber", provider="africastalking")
    page = client.get(reverse("admin:communications_reports")).content.decode()
    assert "boom" in page and "InvalidPhoneNumber" in page
    assert "<td>auth_otp</td><td>4</td><td>3</td><td>75.0 %</td>" in page
