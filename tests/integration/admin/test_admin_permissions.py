"""Who may do what in the admin: staff users holding exactly one permission each.

Viewing a model needs its view (or change) permission; what changes rows (requeue, re-publish)
needs its change permission; delivery logs and outbox rows are never edited through a form.
"""
from __future__ import annotations

import uuid

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from consumers.email.models import EmailLog
from consumers.models import DeadLetter
from consumers.sms.models import SMSLog
from outbox import emit
from outbox.models import OutboxEvent

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

SAVE_BUTTONS = ('name="_save"', 'name="_continue"', 'name="_addanother"')


@pytest.fixture
def login_with(client):
    """Log in a staff user who holds exactly the permissions named ("app_label.codename")."""
    def login(*permissions: str):
        user = get_user_model().objects.create_user(f"staff-{uuid.uuid4().hex[:8]}", password="pw", is_staff=True)
        for name in permissions:
            app_label, codename = name.split(".")
            user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
        client.force_login(user)
        return user
    return login


def parked_event():
    event_id = emit("auth.otp_requested", {"email": "parked@example.com", "name": "Parked", "code": "123456"})
    OutboxEvent.objects.filter(id=event_id).update(parked_at=timezone.now(), attempts=10, last_error="too large")
    return event_id


def dead_letter() -> DeadLetter:
    return DeadLetter.objects.create(channel="email", source_topic="chesanto.auth", partition=0, offset=uuid.uuid4().int % 10**9,
                                     dead_letter_topic="chesanto.auth.dlq", value=b"not json", error_class="ValueError",
                                     error="not JSON")


def email_log(**fields) -> EmailLog:
    return EmailLog.objects.create(**{"event_id": uuid.uuid4(), "recipient": "kamau@example.com", "template": "auth_otp",
                                      "subject": "Your code", "status": "FAILED", "error_message": "550 no such user",
                                      **fields})


def sms_log(**fields) -> SMSLog:
    return SMSLog.objects.create(**{"event_id": uuid.uuid4(), "phone_number": "+254711000222", "message": "m",
                                    "template": "sms_auth_otp", "status": "FAILED", "error_message": "InvalidPhoneNumber",
                                    "provider": "africastalking", **fields})


def run_action(client, url_name: str, action: str, *pks):
    return client.post(reverse(url_name), {"action": action, "_selected_action": [str(pk) for pk in pks]})


# --- dead letters -----------------------------------------------------------------------------
def test_dead_letter_republish_needs_the_change_permission(client, login_with):
    row = dead_letter()
    login_with("communications.view_deadletter")
    page = client.get(reverse("admin:communications_deadletter_changelist")).content.decode()
    assert "ValueError" in page and 'value="republish_selected"' not in page
    run_action(client, "admin:communications_deadletter_changelist", "republish_selected", row.pk)
    row.refresh_from_db()
    assert row.republished_at is None

    login_with("communications.change_deadletter")
    page = client.get(reverse("admin:communications_deadletter_changelist")).content.decode()
    assert 'value="republish_selected"' in page


# --- delivery reports -------------------------------------------------------------------------
def test_delivery_reports_need_view_permission_on_the_logs(client, login_with):
    email_log(recipient="kamau@example.com")
    sms_log(phone_number="+254711000222")
    url = reverse("admin:communications_reports")

    login_with()  # staff, no permission at all
    assert client.get(url).status_code == 403
    login_with("outbox.view_outboxevent", "communications.view_deadletter")  # other models only
    assert client.get(url).status_code == 403

    login_with("comms_email.view_emaillog")
    page = client.get(url).content.decode()
    assert "kamau@example.com" in page and 'id="email-rates"' in page
    assert "+254711000222" not in page and 'id="sms-failures"' not in page

    login_with("comms_sms.view_smslog")
    page = client.get(url).content.decode()
    assert "+254711000222" in page and 'id="sms-rates"' in page
    assert "kamau@example.com" not in page and 'id="email-failures"' not in page

    login_with("comms_email.change_emaillog", "comms_sms.view_smslog")  # change implies view
    page = client.get(url).content.decode()
    assert "kamau@example.com" in page and "+254711000222" in page


# --- delivery logs: read-only for everyone ----------------------------------------------------
@pytest.mark.parametrize("make, app, model_name", [(email_log, "comms_email", "emaillog"), (sms_log, "comms_sms", "smslog")])
def test_log_rows_cannot_be_changed_even_with_the_change_permission(client, login_with, make, app, model_name):
    row = make()
    login_with(f"{app}.change_{model_name}")
    url = reverse(f"admin:{app}_{model_name}_change", args=[row.pk])
    page = client.get(url).content.decode()
    assert "FAILED" in page and not any(button in page for button in SAVE_BUTTONS)
    assert 'name="status"' not in page  # shown, not an input
    assert client.post(url, {"status": "SENT", "error_message": "", "retry_count": "0"}).status_code == 403
    row.refresh_from_db()
    assert row.status == "FAILED" and row.error_message
    assert client.get(reverse(f"admin:{app}_{model_name}_add")).status_code == 403


def test_a_superuser_views_log_rows_and_may_delete_them(client):
    row = email_log()
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.com", "pw"))
    page = client.get(reverse("admin:comms_email_emaillog_change", args=[row.pk])).content.decode()
    assert not any(button in page for button in SAVE_BUTTONS)
    assert reverse("admin:comms_email_emaillog_delete", args=[row.pk]) in page
    client.post(reverse("admin:comms_email_emaillog_delete", args=[row.pk]), {"post": "yes"})
    assert not EmailLog.objects.filter(pk=row.pk).exists()


# --- outbox rows ------------------------------------------------------------------------------
def test_the_outbox_change_page_is_view_only(client, login_with):
    event_id = parked_event()
    login_with("outbox.change_outboxevent")
    url = reverse("admin:outbox_outboxevent_change", args=[event_id])
    page = client.get(url).content.decode()
    assert "parked@example.com" in page and not any(button in page for button in SAVE_BUTTONS)
    assert client.post(url, {}).status_code == 403


def test_requeue_needs_the_change_permission(client, login_with):
    event_id = parked_event()
    login_with("outbox.view_outboxevent")
    page = client.get(reverse("admin:outbox_outboxevent_changelist")).content.decode()
    assert "parked@example.com" in page and 'value="requeue_rows"' not in page
    run_action(client, "admin:outbox_outboxevent_changelist", "requeue_rows", event_id)
    assert OutboxEvent.objects.get(id=event_id).parked_at is not None

    login_with("outbox.change_outboxevent")
    assert 'value="requeue_rows"' in client.get(reverse("admin:outbox_outboxevent_changelist")).content.decode()
    assert run_action(client, "admin:outbox_outboxevent_changelist", "requeue_rows", event_id).status_code == 302
    assert OutboxEvent.objects.get(id=event_id).parked_at is None


# --- the outbox timeline ----------------------------------------------------------------------
WITHHELD = "Some channels are hidden"


def timeline_of(client, event_id) -> str:
    """The timeline part of the event's page (the payload above it names the addresses too)."""
    response = client.get(reverse("admin:outbox_outboxevent_change", args=[event_id]))
    assert response.status_code == 200
    page = response.content.decode()
    start = page.index('<fieldset class="module aligned" id="timeline">')
    return page[start:page.index("</fieldset>", start)]


@pytest.fixture
def delivered_event():
    """An event with an email, an SMS and a dead letter: each holds something only its log shows."""
    event_id = emit("auth.account_approved", {"email": "otieno@example.com", "name": "Otieno", "role": "Baker",
                                              "login_url": "https://bms.example/login", "approved_by": "Grace"})
    email_log(event_id=event_id, recipient="otieno.log@example.com", error_message="550 5.1.1 no such user")
    sms_log(event_id=event_id, phone_number="+254711000333", error_message="InvalidPhoneNumber")
    DeadLetter.objects.create(channel="whatsapp", source_topic="chesanto.auth", partition=0, event_id=event_id,
                              offset=uuid.uuid4().int % 10**9,
                              dead_letter_topic="chesanto.auth.dlq", value=b"{}", error_class="RenderError",
                              error="template whatsapp_secret_thing failed")
    return event_id


def test_the_timeline_shows_only_the_logs_the_viewer_may_view(client, login_with, delivered_event):
    email_shown, sms_shown, dead_shown = "550 5.1.1 no such user", "+254711000333", "whatsapp_secret_thing"

    login_with("outbox.view_outboxevent")  # the event, none of its logs
    shown = timeline_of(client, delivered_event)
    assert "emitted" in shown and WITHHELD in shown
    assert not any(text in shown for text in (email_shown, "otieno.log@example.com", sms_shown, dead_shown))
    assert not any(text in shown for text in ("email FAILED", "SMS FAILED", "dead-lettered"))
    page = client.get(reverse("admin:outbox_outboxevent_change", args=[delivered_event])).content.decode()
    assert not any(text in page for text in (email_shown, sms_shown, dead_shown))  # nowhere on the page

    login_with("outbox.view_outboxevent", "comms_email.view_emaillog")
    shown = timeline_of(client, delivered_event)
    assert email_shown in shown and "email FAILED" in shown and WITHHELD in shown
    assert sms_shown not in shown and dead_shown not in shown

    login_with("outbox.view_outboxevent", "comms_sms.change_smslog", "communications.view_deadletter")
    shown = timeline_of(client, delivered_event)  # change implies view, as on the log's own pages
    assert sms_shown in shown and dead_shown in shown and email_shown not in shown and WITHHELD in shown


def test_a_viewer_of_every_log_sees_the_whole_timeline_and_no_note(client, delivered_event):
    client.force_login(get_user_model().objects.create_superuser("root-timeline", "root@example.com", "pw"))
    shown = timeline_of(client, delivered_event)
    assert all(text in shown for text in ("550 5.1.1 no such user", "+254711000333", "whatsapp_secret_thing"))
    assert WITHHELD not in shown


def test_the_timeline_is_not_shown_to_whoever_may_not_view_the_event(client, login_with, delivered_event):
    login_with("comms_email.view_emaillog", "comms_sms.view_smslog")
    assert client.get(reverse("admin:outbox_outboxevent_change", args=[delivered_event])).status_code == 403
