"""The inbox channel's sequence against the database, without Kafka: a delivered event becomes
exactly one feed item per user; a redelivery none more; an address without a user none at all."""
from __future__ import annotations

import dataclasses
import logging

import pytest
from django.core.exceptions import ImproperlyConfigured

from consumers.inbox.models import InboxItem
from consumers.notifications import IfInterrupted
from consumers.outcomes import MessageOutcome, Verdict
from tests.unit.consumers.inbox.conftest import inbound

pytestmark = pytest.mark.django_db


def test_the_channel_reads_the_domains_of_its_events(channel):
    assert channel.domains() == ["auth", "inventory", "production", "reports", "sales"]
    assert channel.handles("auth.security_alert") and not channel.handles("auth.otp_requested")


def test_an_event_becomes_one_item_in_its_users_feed(channel, make_user):
    user = make_user("wanjiku@example.com")
    alert = inbound("auth.security_alert", email="Wanjiku@Example.com")
    assert channel.deliver(alert).verdict is Verdict.DONE
    item = InboxItem.objects.get(event_id=alert.id)
    assert (item.user_id, item.status, item.template, item.category) == (
        user.pk, "SENT", "inbox_auth_security_alert", "security")
    assert item.title == "Security alert: New sign-in from an unknown device"
    assert "22:05 EAT from 102.68.79.201" in item.body and item.link == "http://localhost:8000"
    assert item.feed_seq is not None and item.provider_message_id == str(item.feed_seq)
    assert item.provider == "database" and item.delivered_at and item.read_at is None


def test_a_redelivered_event_adds_no_second_item(channel, make_user):
    make_user("wanjiku@example.com")
    alert = inbound("auth.security_alert", email="wanjiku@example.com")
    channel.deliver(alert)
    again = channel.deliver(alert)
    assert again.outcomes == (MessageOutcome.ALREADY_FINAL,)
    assert InboxItem.objects.filter(event_id=alert.id).count() == 1


def test_a_row_left_pending_after_it_entered_the_feed_keeps_its_number(channel, make_user):
    """A consumer that died between the feed write and finishing the row: the redelivery finishes it."""
    make_user("wanjiku@example.com")
    alert = inbound("auth.security_alert", email="wanjiku@example.com")
    channel.deliver(alert)
    item = InboxItem.objects.get(event_id=alert.id)
    InboxItem.objects.filter(pk=item.pk).update(status="PENDING", delivered_at=None)
    assert channel.deliver(alert).outcomes == (MessageOutcome.SENT,)
    again = InboxItem.objects.get(event_id=alert.id)
    assert (again.status, again.feed_seq) == ("SENT", item.feed_seq)


def test_each_user_on_a_list_gets_an_item_and_an_address_without_a_user_none(channel, make_user, caplog):
    stores, mutua = make_user("stores@example.com"), make_user("mutua@example.com")
    alert = inbound("inventory.stock_low", recipients=["stores@example.com", "nobody@example.com", "MUTUA@example.com"])
    with caplog.at_level(logging.INFO, logger="consumers.inbox"):
        channel.deliver(alert)
    assert sorted(InboxItem.objects.filter(event_id=alert.id).values_list("user_id", flat=True)) == sorted(
        [stores.pk, mutua.pk])
    assert "no active user has the address nobody@example.com; no inbox item for it" in caplog.text


def test_an_event_for_an_address_no_user_has_writes_nothing(channel, make_user, caplog):
    make_user("someone.else@example.com", is_active=False)
    invoice = inbound("sales.invoice_issued", customer_email="someone.else@example.com")
    with caplog.at_level(logging.INFO, logger="consumers.inbox"):
        assert channel.deliver(invoice).outcomes == ()
    assert not InboxItem.objects.filter(event_id=invoice.id).exists()
    assert "someone.else@example.com" in caplog.text


def test_an_address_two_users_have_makes_no_item_and_the_id_reaches_its_user(channel, make_user, caplog):
    bob = make_user("bob@example.com")
    make_user("BOB@example.com")  # another user set her address to his: Django checks neither
    alert = inbound("auth.security_alert", email="bob@example.com")
    with caplog.at_level(logging.INFO, logger="consumers.inbox"):
        assert channel.deliver(alert).outcomes == ()
    assert not InboxItem.objects.filter(event_id=alert.id).exists()
    (record,) = [r for r in caplog.records if "bob@example.com" in r.getMessage()]
    assert record.levelname == "WARNING"
    assert "several active users have the address bob@example.com" in record.getMessage()

    named = inbound("auth.security_alert", email="bob@example.com", user_id=bob.pk)
    assert channel.deliver(named).verdict is Verdict.DONE
    assert list(InboxItem.objects.filter(event_id=named.id).values_list("user_id", flat=True)) == [bob.pk]


def test_an_id_no_active_user_has_makes_no_item_and_a_warning(channel, make_user, caplog):
    gone = make_user("gone@example.com", is_active=False)
    make_user("stores@example.com")
    alert = inbound("inventory.stock_low", recipients=["stores@example.com"], recipient_user_ids=[gone.pk])
    with caplog.at_level(logging.INFO, logger="consumers.inbox"):
        assert channel.deliver(alert).outcomes == ()  # the ids given are the users: stores@ is not looked up
    assert f"inbox: no active user has the id {gone.pk}; no inbox item for it" in caplog.text
    assert [r.levelname for r in caplog.records if r.name == "consumers.inbox.notifications"] == ["WARNING"]


def test_items_are_numbered_in_the_order_they_enter_the_feed(channel, make_user):
    make_user("grace@example.com")
    first, second = (inbound("reports.report_ready", email="grace@example.com") for _ in range(2))
    channel.deliver(second)
    channel.deliver(first)
    seqs = dict(InboxItem.objects.values_list("event_id", "feed_seq"))
    assert seqs[second.id] < seqs[first.id]


def test_replay_sees_what_the_log_says(channel, make_user):
    user = make_user("grace@example.com")
    report = inbound("reports.report_ready", email="grace@example.com")
    assert [(n.name, r, s) for n, r, s in channel.planned(report)] == [("inbox_reports_report_ready", str(user.pk), None)]
    channel.deliver(report)
    assert [s for _, _, s in channel.planned(report)] == ["SENT"]


def test_check_passes_with_the_packaged_templates(channel):
    channel.check()


def test_check_refuses_a_heartbeat_as_long_as_the_stream(channel, settings):
    settings.INBOX_SSE_HEARTBEAT, settings.INBOX_SSE_MAX_SECONDS = 30, 30
    with pytest.raises(ImproperlyConfigured, match="INBOX_SSE_HEARTBEAT=30 must be shorter than INBOX_SSE_MAX_SECONDS=30"):
        channel.check()


def test_check_refuses_an_overriding_template_without_a_title(channel, settings, tmp_path):
    (tmp_path / "inbox" / "sales").mkdir(parents=True)
    (tmp_path / "inbox" / "sales" / "invoice.txt").write_text("{% block body %}Pay up{% endblock %}")
    settings.COMMS_TEMPLATE_DIRS = [str(tmp_path)]
    with pytest.raises(ImproperlyConfigured, match=r"invoice.txt has no title block"):
        channel.check()


def test_a_template_that_cannot_render_fails_the_row_and_dead_letters_the_record(channel, make_user, settings, tmp_path):
    make_user("grace@example.com")
    (tmp_path / "inbox" / "reports").mkdir(parents=True)
    (tmp_path / "inbox" / "reports" / "report_ready.txt").write_text(
        "{% block title %}{{ report_name }}{% endblock %}{% block body %}x{% endblock %}"
        "{% block link %}javascript:alert(1){% endblock %}")
    settings.COMMS_TEMPLATE_DIRS = [str(tmp_path)]
    report = inbound("reports.report_ready", email="grace@example.com")
    delivery = channel.deliver(report)
    assert delivery.verdict is Verdict.DEAD_LETTER
    item = InboxItem.objects.get(event_id=report.id)
    assert item.status == "RENDER_FAILED" and item.feed_seq is None
    assert "use an http(s) URL or a path starting with /" in item.error_message


def test_an_interrupted_attempt_is_resent_whatever_its_rule_as_the_feed_takes_a_row_once(channel):
    # A notification held for an operator on a provider's channel (two copies would reach the person)
    # is simply sent again in the inbox: entering the feed is keyed by the row, so nobody sees two.
    invoice = channel.notifications["sales.invoice_issued"][0]
    event = inbound("sales.invoice_issued")
    held = dataclasses.replace(invoice, if_interrupted=IfInterrupted.HOLD)
    assert held.rule_if_interrupted(event.data) is IfInterrupted.HOLD
    assert channel._rule(event, held) is IfInterrupted.RESEND
