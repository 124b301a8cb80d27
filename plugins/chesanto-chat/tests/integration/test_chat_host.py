"""What a host gets by adding "chesanto_chat" to INSTALLED_APPS: the channel in the registry, its log in
the admin (with the core's UNKNOWN decisions) and in an event's timeline, its templates in the catalogue,
its retention command."""
from __future__ import annotations

import uuid
from io import StringIO

import pytest
from django.core.management import call_command

from chesanto_chat.channel import ChatChannel
from chesanto_chat.models import ChatLog

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def test_the_app_is_the_chat_channel():
    from consumers.channels import get_channel, log_models, names

    assert "chat" in names() and isinstance(get_channel("chat"), ChatChannel)
    assert log_models()["chat"] is ChatLog and ChatLog._meta.db_table == "chesanto_chat_log"


def test_the_admin_lists_chat_rows_and_offers_the_unknown_decisions(admin_client):
    ChatLog.objects.create(event_id=uuid.uuid4(), template="chat_inventory_low_stock", room="stores",
                           service="slack", title="Low stock: Rye", status="UNKNOWN", provider="slack")
    page = admin_client.get("/admin/chesanto_chat/chatlog/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Low stock: Rye" in text and "send_again" in text and "mark_arrived" in text


def test_the_timeline_of_an_event_shows_its_chat_rows():
    from consumers.timeline import delivery_rows

    event_id = uuid.uuid4()
    row = ChatLog.objects.create(event_id=event_id, template="chat_auth_security_alert", room="admins",
                                 service="google_chat", status="SENT", provider="google_chat")
    (entry,) = delivery_rows(event_id, visible=lambda model: True).entries
    assert (entry.what, entry.detail) == ("team chat SENT", "chat_auth_security_alert to admins")
    assert entry.url == f"/admin/chesanto_chat/chatlog/{row.pk}/change/"


def test_its_templates_are_in_the_catalogue():
    from consumers.template_catalog import catalogue

    chat = {e.notification.name: e.template_path for e in catalogue() if e.channel == "chat"}
    assert chat == {"chat_inventory_low_stock": "chat/inventory/low_stock.txt",
                    "chat_production_schedule": "chat/production/schedule.txt",
                    "chat_auth_security_alert": "chat/auth/security_alert.txt"}


def test_cleanup_logs_takes_the_chat_channel():
    from datetime import timedelta

    from django.utils import timezone

    old, new = (ChatLog.objects.create(event_id=uuid.uuid4(), template="chat_inventory_low_stock", room=room,
                                       status="SENT", provider="slack") for room in ("old", "new"))
    ChatLog.objects.filter(pk=old.pk).update(sent_at=timezone.now() - timedelta(days=31))
    out = StringIO()
    call_command("cleanup_logs", "chat", "--days", "30", stdout=out)
    assert out.getvalue().strip() == "Deleted 1 old team chat logs"
    assert list(ChatLog.objects.values_list("room", flat=True)) == ["new"]
