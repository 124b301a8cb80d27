"""Eager delivery, for a project's own tests (COMMS_EAGER_DELIVERY = ["email"]).

`emit()` hands each new row here instead of leaving it to the relay: it becomes the Kafka record
the relay would publish (chesanto_comms/records.py), is read back as the consumer reads it
(consumers/events.py) and goes through the same channel code, to the provider the project
configured (under Django's test runner, the locmem email backend: `django.core.mail.outbox`),
writing the same log rows. It runs at once, inside the caller's transaction, so it also works
in a `django.test.TestCase`, whose transaction never commits: never use it in production.
"""
from __future__ import annotations

from chesanto_comms.conf import comms
from chesanto_comms.records import ClaimedRow, RecordBuilder, as_message
from consumers.channels import get_channel
from consumers.events import event_from_message
from outbox.emitter import EmittedEvent


def deliver(emitted: EmittedEvent) -> None:
    """Deliver the event on every channel COMMS_EAGER_DELIVERY names that sends something for it."""
    meta = emitted.headers
    record = RecordBuilder()(ClaimedRow(
        id=str(emitted.id), aggregatetype=emitted.aggregatetype, aggregateid=emitted.aggregateid,
        type=emitted.type, payload=emitted.payload, headers=meta, created_at=emitted.created_at,
    ))
    event = event_from_message(as_message(record))
    for name in comms.COMMS_EAGER_DELIVERY:
        channel = get_channel(name)
        if channel.handles(event.type):
            try:
                delivery = channel.deliver(event, final_attempt=True)
            finally:
                channel.close()
            if delivery.error is not None:  # loud in a test: a template that cannot render
                raise delivery.error
