"""The inbox in the admin: its log (read-only, as every channel's), the template previews, the
reports page and the event timeline — each reached through the channel registry."""
from __future__ import annotations

import dataclasses

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.urls import reverse

from consumers.models import MessageTemplate
from consumers.timeline import delivery_rows
from outbox import emit
from tests.unit.consumers.inbox.conftest import inbound

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    user = get_user_model().objects.create_user("manager", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label__in=["outbox", "communications", "comms_email", "comms_sms", "comms_whatsapp", "comms_inbox", "comms_push"]))
    client.force_login(user)
    return user


def test_the_log_lists_and_finds_items_and_is_read_only(client, staff, make_user, add_item):
    item = add_item(make_user("grace@example.com"), "Low stock: Unga")
    changelist = reverse("admin:comms_inbox_inboxitem_changelist")
    page = client.get(changelist).content.decode()
    assert "Low stock: Unga" in page and "grace@example.com" not in page  # the user shows by username
    assert "Low stock: Unga" in client.get(changelist, {"q": "grace@example.com"}).content.decode()
    assert "Low stock: Unga" in client.get(changelist, {"q": str(item.feed_seq)}).content.decode()
    assert client.get(changelist, {"q": "not-a-number"}).status_code == 200
    assert client.get(reverse("admin:comms_inbox_inboxitem_change", args=[item.pk])).status_code == 200
    assert client.get(reverse("admin:comms_inbox_inboxitem_add")).status_code == 403
    assert client.post(reverse("admin:comms_inbox_inboxitem_delete", args=[item.pk]), {"post": "yes"}).status_code == 403


def test_every_inbox_template_is_in_the_catalogue_with_a_preview(client, staff):
    templates = MessageTemplate.objects.filter(type="INBOX").order_by("name")
    assert templates.count() == 7
    approved = templates.get(name="inbox_auth_account_approved")
    assert approved.template_path == "inbox/auth/account_approved.txt"
    page = client.get(reverse("admin:communications_messagetemplate_change", args=[approved.pk])).content.decode()
    assert 'id="inbox-subject">Your account is approved<' in page
    assert "Grace Wambui approved your account as Dispatch Officer" in page
    assert 'id="inbox-category"><b>category:</b> Approvals' in page
    assert 'id="inbox-link"><b>link:</b> https://bms.chesanto.co.ke/login' in page


def test_the_reports_page_has_the_inbox(client, staff, channel, make_user):
    make_user("grace@example.com")
    channel.deliver(inbound("reports.report_ready", email="grace@example.com"))
    page = client.get(reverse("admin:communications_reports")).content.decode()
    assert "<td>inbox_reports_report_ready</td><td>1</td><td>1</td><td>100.0 %</td>" in page


def test_the_events_timeline_shows_its_inbox_items(client, staff, channel, make_user):
    user = make_user("grace@example.com")
    event_id = emit("reports.report_ready", {"email": "grace@example.com", "report_name": "Daily sales",
                                             "attachment_path": "x.pdf"})
    channel.deliver(dataclasses.replace(inbound("reports.report_ready", email="grace@example.com"), id=event_id))
    (entry,) = [e for e in delivery_rows(event_id, lambda model: True).entries if e.what.startswith("inbox")]
    assert (entry.what, entry.detail) == ("inbox SENT", f"inbox_reports_report_ready to {user.pk}")
    page = client.get(reverse("admin:outbox_outboxevent_change", args=[event_id])).content.decode()
    assert "inbox SENT" in page and f"inbox_reports_report_ready to {user.pk}" in page


def test_a_deleted_user_takes_their_feed_with_them(make_user, add_item):
    user = make_user()
    item = add_item(user)
    user.delete()
    from consumers.inbox.models import InboxItem

    assert not InboxItem.objects.filter(pk=item.pk).exists()
