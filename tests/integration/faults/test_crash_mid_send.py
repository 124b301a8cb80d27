"""A consumer SIGKILLed while one send of its batch hangs at the provider: the messages the provider
had already accepted are not sent again, and the one caught mid-call follows its notification's rule
(an OTP is resent; a payment receipt, where a second copy reads as a second payment, is held UNKNOWN)."""
from __future__ import annotations

import random
import signal
import time

import pytest
from django.db import transaction

from chesanto_comms.embedded.provider_api import Outcome
from chesanto_comms.embedded.whatsapp import WhatsAppCloudServer
from consumers.whatsapp.models import WhatsAppLog
from outbox import emit
from outbox.events.samples import sample
from tests.integration.faults.conftest import keys_in_lanes, lease_token, own_env, started
from tests.integration.whatsapp.conftest import whatsapp_env
from tests.support.processes import ManagedProcess
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

HANG = 8.0  # seconds the provider takes for the hung numbers (within WHATSAPP_TIMEOUT: a slow answer, not a timeout)


def phones(n: int) -> list[str]:
    return [f"+25471{number:07d}" for number in random.sample(range(10**7), n)]


def test_sends_the_provider_accepted_are_not_repeated_after_a_kill(comms_env):
    with WhatsAppCloudServer() as server:
        env = own_env(comms_env, "crash", **{**whatsapp_env(server), "WHATSAPP_TIMEOUT": "9"})  # lease 28 s
        relay = ManagedProcess("relay", env=env)
        first = started(ManagedProcess("consume", "whatsapp", env=env))
        second = None
        try:
            quick, (hung_code, hung_receipt) = phones(8), phones(2)
            server.script(hung_code, Outcome(delay=HANG))
            server.script(hung_receipt, Outcome(delay=HANG))
            # Keys that put each hung send in a lane of its own and the quick ones in the others: a lane
            # sends its key's records in order, so a quick one behind a hung one would wait out the hang.
            hung_keys, quick_keys = keys_in_lanes([0], 1) + keys_in_lanes([1], 1), keys_in_lanes([2, 3], 8)
            with transaction.atomic():
                codes = {phone: emit("auth.otp_requested", {"phone": phone, "code": "4821"}, key=key)
                         for phone, key in [*zip(quick, quick_keys), (hung_code, hung_keys[0])]}
                receipt = emit("sales.payment_received", {**sample("sales.payment_received"), "phone": hung_receipt},
                               key=hung_keys[1])
            rows = WhatsAppLog.objects.filter(phone_number__in=[*quick, hung_code, hung_receipt])
            wait_until(lambda: all(server.to(phone) for phone in [*quick, hung_code, hung_receipt]), timeout=60,
                       interval=0.02, what="every send to reach the provider")
            wait_until(lambda: rows.filter(phone_number__in=quick, status="SENT").count() == len(quick), timeout=3,
                       interval=0.02, what="the quick sends answered and written")
            hung = rows.filter(phone_number__in=[hung_code, hung_receipt], status="PENDING", claimed=True)
            assert hung.count() == 2, "the kill must land while the hung sends are in their provider call"
            killed = lease_token(first)
            assert first.stop(signal.SIGKILL) == -signal.SIGKILL  # mid-call for the two hung numbers
            time.sleep(HANG)  # the provider accepts the hung ones too, answering a client that is gone

            server.script(hung_code, Outcome())
            server.script(hung_receipt, Outcome())
            second = started(ManagedProcess("consume", "whatsapp", env=env))
            wait_until(lambda: not rows.exclude(status__in=WhatsAppLog.FINAL).exists(), timeout=90,
                       what="every row final after the restart (the dead consumer's lease lapses first)")
            time.sleep(2)

            assert {phone: len(server.to(phone)) for phone in quick} == {phone: 1 for phone in quick}
            code_row = rows.get(phone_number=hung_code)
            assert len(server.to(hung_code)) == 2  # the rule for a login code: resend (the one duplicate)
            assert code_row.status in ("SENT", "DELIVERED") and code_row.attempts == 2
            assert f"by {killed} was interrupted" in code_row.error_message and "sent again" in code_row.error_message
            receipt_row = rows.get(event_id=receipt)
            assert len(server.to(hung_receipt)) == 1  # the rule for a receipt: hold it for an operator
            assert receipt_row.status == "UNKNOWN" and f"by {killed} was interrupted" in receipt_row.error_message
            assert codes  # every OTP had its event
        finally:
            codes_stopped = [relay.stop(), second.stop() if second else 0]
            assert codes_stopped == [0, 0], (second.log() if second else "")
