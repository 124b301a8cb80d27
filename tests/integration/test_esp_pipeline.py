"""Email through an ESP: EMAIL_BACKEND set to django-anymail's Postmark backend, against a
local server that answers as Postmark's API does."""
from __future__ import annotations

import json

import pytest

from chesanto_comms.embedded.esp import PostmarkServer
from outbox import emit
from tests.support.logs import final_email_log as final_log
from tests.support.processes import ManagedProcess
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def postmark(comms_env, django_db_blocker):
    with PostmarkServer() as server:
        env = {**comms_env, "CONSUMER_GROUP_PREFIX": comms_env["CONSUMER_GROUP_PREFIX"] + "esp-",
               "EMAIL_BACKEND": "anymail.backends.postmark.EmailBackend",
               "ANYMAIL_POSTMARK_SERVER_TOKEN": server.api_key, "ANYMAIL_POSTMARK_API_URL": server.api_url}
        relay, consumer = ManagedProcess("relay", env=env), ManagedProcess("consume", "email", env=env)
        try:
            wait_until(lambda: "reading" in consumer.log(), timeout=30, what="the consumer")
            yield server
        finally:
            assert [relay.stop(), consumer.stop()] == [0, 0]


def otp(address: str) -> dict:
    return {"email": address, "name": "Njeri", "code": "975310"}


def test_sent_through_the_esp_api(postmark, unique_email):
    address = unique_email("esp")
    log = final_log(emit("auth.otp_requested", otp(address)))
    assert log.status == "SENT" and log.provider == "postmark"
    (request,) = postmark.to(address)
    body = request.form
    assert request.headers["x-postmark-server-token"] == postmark.api_key
    assert body["Subject"] == "Your Verification Code - Chesanto Bakery"
    assert "975310" in body["HtmlBody"] and "975310" in body["TextBody"]
    answer = json.loads(request.answer)
    assert answer["ErrorCode"] == 0 and log.provider_message_id == answer["MessageID"]


def test_inactive_recipient_is_rejected_at_once(postmark, unique_email):
    address = unique_email("inactive-esp")
    log = final_log(emit("auth.otp_requested", otp(address)))
    assert log.status == "REJECTED" and log.retry_count == 1
    assert len(postmark.to(address)) == 1  # not retried


def test_rate_limit_is_transient_and_retried(postmark, unique_email):
    address = unique_email("ratelimited-esp")
    log = final_log(emit("auth.otp_requested", otp(address)))
    assert log.status == "FAILED" and "gave up after 4 attempts" in log.error_message and "429" in log.error_message
    assert len(postmark.to(address)) == 4  # the first try and EMAIL_MAX_RETRIES=3 retries
