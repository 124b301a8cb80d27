"""Eager delivery (COMMS_EAGER_DELIVERY): the same channel code, in-process, log rows included."""
import pytest
from django.core import mail

from consumers.email.models import EmailLog
from outbox import emit
from outbox.models import OutboxEvent

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def test_an_emitted_event_is_delivered_at_once_and_never_left_for_the_relay(unique_email):
    address = unique_email("eager")
    event_id = emit("auth.otp_requested", {"email": address, "name": "Achieng", "code": "482913"})
    assert [m.to for m in mail.outbox] == [[address]]
    assert "482913" in mail.outbox[0].body
    entry = EmailLog.objects.get(event_id=event_id)
    assert (entry.status, entry.template, entry.provider) == ("SENT", "auth_otp", "locmem")
    assert OutboxEvent.objects.get(pk=event_id).published_at is not None  # no relay sends it again
    assert "482913" not in str(OutboxEvent.objects.get(pk=event_id).payload)  # still sealed in the row


def test_without_the_setting_nothing_is_sent_in_process(settings, unique_email):
    settings.COMMS_EAGER_DELIVERY = []
    event_id = emit("auth.otp_requested", {"email": unique_email("queued"), "name": "Achieng", "code": "482913"})
    assert mail.outbox == []
    assert OutboxEvent.objects.get(pk=event_id).published_at is None
