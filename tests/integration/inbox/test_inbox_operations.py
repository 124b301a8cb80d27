"""Operating the inbox through the shared commands, which reach it through the channel registry:
`replay --channel inbox` (against the real topics) and the retention cleanup."""
from __future__ import annotations

import re
import time
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from consumers.inbox.models import InboxItem
from outbox import emit
from outbox.events.samples import sample
from tests.integration.inbox.conftest import item_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

SUMMARY = re.compile(r"read (\d+), skipped (\d+), sent (\d+), failed (\d+), poison (\d+)")


@pytest.fixture
def pipeline_topics(inbox_pipeline, settings):
    """This process reads the topics the pipeline's relay wrote."""
    settings.OUTBOX_TOPIC_PREFIX = inbox_pipeline.env["OUTBOX_TOPIC_PREFIX"]
    settings.CONSUMER_GROUP_PREFIX = inbox_pipeline.env["CONSUMER_GROUP_PREFIX"]


def replay(*args: str) -> dict[str, int]:
    out = StringIO()
    call_command("replay", "--channel", "inbox", *args, stdout=out)
    (line,) = [line for line in out.getvalue().splitlines() if SUMMARY.match(line)]
    return dict(zip(("read", "skipped", "sent", "failed", "poison"), map(int, SUMMARY.match(line).groups())))


def test_replay_restores_a_lost_item_once_and_resend_adds_none(pipeline_topics, user_with_address):
    user = user_with_address("grace")
    time.sleep(1.2)  # the window starts after what earlier tests published
    since = timezone.now()
    kept, lost = (emit("reports.report_ready", {**sample("reports.report_ready"), "email": user.email,
                                                 "user_id": user.pk,
                                                 "report_name": name}) for name in ("Kept", "Lost"))
    kept_seq = item_for(kept).feed_seq
    item_for(lost)
    InboxItem.objects.filter(event_id=lost).delete()  # e.g. a restore from an older backup

    assert replay("--since", since.isoformat()) == {"read": 2, "skipped": 1, "sent": 1, "failed": 0, "poison": 0}
    restored = InboxItem.objects.get(event_id=lost)
    assert (restored.status, restored.title) == ("SENT", "Report ready: Lost") and restored.feed_seq > kept_seq
    assert replay("--since", since.isoformat()) == {"read": 2, "skipped": 2, "sent": 0, "failed": 0, "poison": 0}

    # --resend reopens the rows and delivers them again: the feed keeps one item each, same numbers.
    assert replay("--since", since.isoformat(), "--resend")["sent"] == 2
    assert list(InboxItem.objects.filter(user=user).order_by("feed_seq").values_list("event_id", "feed_seq")) == [
        (kept, kept_seq), (lost, restored.feed_seq)]
    assert set(InboxItem.objects.filter(user=user).values_list("status", flat=True)) == {"SENT"}


def test_cleanup_deletes_items_past_the_retention_read_or_not(user_with_address, settings):
    user = user_with_address("mutua")
    old = timezone.now() - timedelta(days=200)
    rows = {name: InboxItem.objects.create(user=user, template="inbox_test", status="SENT", title=name, **extra)
            for name, extra in [("old unread", {}), ("old read", {"read_at": old}), ("old archived", {"archived_at": old}),
                                ("recent", {})]}
    InboxItem.objects.filter(title__startswith="old").update(sent_at=old)

    out = StringIO()
    call_command("cleanup_logs", "inbox", "--days", "365", stdout=out)
    assert "Deleted 0 old inbox logs" in out.getvalue()
    call_command("cleanup", stdout=out)  # INBOX_LOG_RETENTION_DAYS: 180 by default
    assert "Deleted 3 old inbox logs" in out.getvalue()
    assert list(InboxItem.objects.filter(user=user).values_list("title", flat=True)) == ["recent"]
    assert rows["recent"].pk == InboxItem.objects.get(user=user).pk
    settings.INBOX_LOG_RETENTION_DAYS = 1
    InboxItem.objects.filter(user=user).update(sent_at=timezone.now() - timedelta(days=2))
    call_command("cleanup_logs", "inbox", stdout=out)
    assert not InboxItem.objects.filter(user=user).exists()
