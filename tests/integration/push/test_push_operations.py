"""The push channel in the shared operations: its log's cleanup and the admin pages (its log, its
devices, its templates), which it gets by registering."""
from __future__ import annotations

import uuid
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from consumers.models import MessageTemplate
from consumers.push.models import PushDevice, PushLog

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def push_log(age_days: int, **fields) -> PushLog:
    log = PushLog.objects.create(event_id=uuid.uuid4(), template="push_inventory_low_stock",
                                 recipient=f"token-{uuid.uuid4().hex}", **fields)
    PushLog.objects.filter(pk=log.pk).update(sent_at=timezone.now() - timedelta(days=age_days))
    return log


def test_cleanup_logs_push_deletes_only_rows_past_retention(settings):
    old, recent = push_log(400), push_log(300)
    out = StringIO()
    call_command("cleanup_logs", "push", stdout=out)
    assert "Deleted 1 old push logs" in out.getvalue()
    assert list(PushLog.objects.values_list("pk", flat=True)) == [recent.pk]
    settings.PUSH_LOG_RETENTION_DAYS = 200
    call_command("cleanup_logs", "push", stdout=StringIO())
    assert not PushLog.objects.filter(pk=old.pk).exists() and not PushLog.objects.exists()


@pytest.mark.django_db(transaction=True)  # outbox_purge commits batch by batch
def test_the_whole_cleanup_schedule_includes_push():
    push_log(400)
    out = StringIO()
    call_command("cleanup", stdout=out)
    assert "Deleted 1 old push logs" in out.getvalue()


@pytest.fixture
def staff(client):
    user = get_user_model().objects.create_superuser("admin", "admin@chesanto.example")
    client.force_login(user)
    return user


def test_the_admin_lists_push_logs_and_devices(client, staff):
    owner = get_user_model().objects.create_user("wanjiku", email="wanjiku@chesanto.example")
    device = PushDevice.objects.create(user=owner, token="fcm-token-wanjiku-phone-0123456789", platform="android")
    log = push_log(0, user=owner, platform="android", title="Low stock: Wheat flour", status="SENT")
    page = client.get(reverse("admin:comms_push_pushlog_changelist")).content.decode()
    assert "Low stock: Wheat flour" in page and "wanjiku" in page
    assert client.get(reverse("admin:comms_push_pushlog_change", args=[log.pk])).status_code == 200
    page = client.get(reverse("admin:comms_push_pushdevice_changelist")).content.decode()
    assert "fcm-token-wanjik…" in page  # the first 16 characters
    assert client.get(reverse("admin:comms_push_pushdevice_change", args=[device.pk])).status_code == 200
    assert client.get(reverse("admin:comms_push_pushdevice_add")).status_code == 403  # the app registers devices
    found = client.get(reverse("admin:comms_push_pushlog_changelist"), {"q": "wanjiku@chesanto.example"})
    assert "Low stock: Wheat flour" in found.content.decode()


def test_the_templates_admin_previews_a_push(client, staff):
    call_command("migrate", verbosity=0)  # the catalogue syncs after migrate
    template = MessageTemplate.objects.get(name="push_inventory_low_stock")
    assert (template.type, template.template_path) == ("PUSH", "push/inventory/low_stock.txt")
    page = client.get(reverse("admin:communications_messagetemplate_change", args=[template.pk])).content.decode()
    assert 'id="push-subject">Low stock: Wheat flour (baking)' in page
    assert "12.5 kg left, below the threshold of 50 kg." in page
