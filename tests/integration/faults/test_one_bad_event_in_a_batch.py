"""One event of a batch that breaks something (an actor id of non-ASCII digits, "²", which
`str.isdigit()` accepts and `int()` refuses) fails no other event of its batch."""
from __future__ import annotations

import pytest
from django.db import transaction

from consumers.email.models import EmailLog
from consumers.models import DeadLetter
from outbox import emit
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_an_odd_actor_id_dead_letters_nothing(pipeline, smtp_sink, unique_email):
    addresses = [unique_email("batch") for _ in range(12)]
    with transaction.atomic():  # committed together: read together, in the same lanes' batches
        events = [emit("auth.otp_requested", {"email": address, "name": "Njeri", "code": "4821"},
                       actor="²" if i == 5 else "1") for i, address in enumerate(addresses)]
    wait_until(lambda: EmailLog.objects.filter(recipient__in=addresses, status="SENT").count() == 12, timeout=60,
               what="all twelve emails sent")
    assert sorted(r.rcpt_tos[0] for r in smtp_sink.received if r.rcpt_tos[0] in addresses) == sorted(addresses)
    assert not DeadLetter.objects.filter(event_id__in=events).exists()
    assert EmailLog.objects.get(recipient=addresses[5]).sent_by_id is None  # "²" is no user's id
