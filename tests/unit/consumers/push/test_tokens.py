"""Device tokens never appear whole in log lines: a push's send, retry, refusal and redelivery, a
device moving to another user, and a replay's report each show the masked token only."""
from __future__ import annotations

import logging

import pytest

from chesanto_comms.embedded.fcm import FcmOutcome
from consumers.push import devices
from consumers.push.tokens import masked
from tests.unit.consumers.push.conftest import device, event, user

pytestmark = pytest.mark.django_db

SENT = "fCR4I4qSziQ:APA91bEawt65JID-sent-xV3pQ9rT7uW2yZ5aB8cD1eF4gH6jK0mN3pR"
BUSY = "quota-dKx1:APA91bHq7Lm2Np4Rs6Tu8Vw0Xy2Za4Bc6De8Fg0Hi2Jk4Lm6No8"
DEAD = "unregistered-eQ3:APA91bGz9Yx7Wv5Ut3Sr1Qp9On7Ml5Kj3Ih1Gf9Ed7Cb5Az3"


def test_masked_keeps_a_few_characters():
    assert masked(SENT) == "fCR4I4qS…"
    assert masked("phone-1") == "pho…"  # a short token shows at most half of itself


def test_no_log_line_of_a_push_holds_a_whole_token(channel, fcm_server, caplog):
    owner = user("amani@example.com")
    for token in (SENT, BUSY, DEAD):
        device(owner, token)
    fcm_server.script(BUSY, FcmOutcome("QUOTA_EXCEEDED", retry_after=1, times=1))
    alert = event("auth.security_alert", email="amani@example.com")
    with caplog.at_level(logging.DEBUG):
        channel.deliver(alert, final_attempt=False)  # SENT sent, BUSY retried, DEAD refused and deleted
        channel.deliver(alert, final_attempt=False)  # SENT already final, BUSY sent now
        devices.register(user("baraka@example.com"), SENT, "android")  # the phone changes hands
    lines = [record.getMessage() for record in caplog.records]
    assert len(fcm_server.to(BUSY)) == 2 and len(fcm_server.to(DEAD)) == 1
    for token in (SENT, BUSY, DEAD):
        assert not [line for line in lines if token in line], f"{token} in the logs"
    text = "\n".join(lines)
    assert f"sent to {masked(SENT)}" in text and f"to {masked(BUSY)} will be retried" in text
    assert f"device token {masked(DEAD)} of user" in text and f"push device {masked(SENT)} moved" in text
    assert f"to {masked(SENT)} already SENT" in text
