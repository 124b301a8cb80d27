"""Where a retried or dead-lettered record came from, and the headers a retry carries
(consumers/retry.py: source_of, retry_headers; check_retry_headers beyond tests/unit/consumers/test_retry_headers.py)."""
from __future__ import annotations

import time

import pytest

from consumers.events import PoisonRecord
from consumers.retry import (
    ATTEMPT,
    LAST_ERROR,
    NOT_BEFORE,
    SOURCE,
    check_retry_headers,
    due_at,
    retry_headers,
    source_of,
)
from consumers.testing.memory_broker import MemoryMessage

KNOWN = ["chesanto.auth", "chesanto.sales"]


def record(topic="test.retry.email", partition=2, offset=17, headers=None) -> MemoryMessage:
    return MemoryMessage(topic, partition, offset, b"key", b"{}", headers)


def test_a_retry_record_names_its_first_position():
    assert source_of(record(), {SOURCE: "chesanto.auth:3:120"}, KNOWN) == ("chesanto.auth", 3, 120)


def test_a_topic_name_with_colons_is_read_from_the_right():
    assert source_of(record(), {SOURCE: "a:b:c:4:5"}) == ("a:b:c", 4, 5)


@pytest.mark.parametrize("forged", [
    "chesanto.finance:0:1",  # a topic this consumer does not read: a forged header must not pick the DLQ
    "chesanto.auth:x:1", "chesanto.auth:1", ":1:2", "", "chesanto.auth:1:-2",
])
def test_an_unknown_or_malformed_source_falls_back_to_the_records_own_position(forged):
    assert source_of(record(), {SOURCE: forged}, KNOWN) == ("test.retry.email", 2, 17)


def test_without_a_source_header_a_record_is_its_own_source():
    assert source_of(record("chesanto.auth", 0, 5), {}, KNOWN) == ("chesanto.auth", 0, 5)


def test_without_known_topics_any_well_formed_source_is_taken():
    assert source_of(record(), {SOURCE: "elsewhere:1:2"}) == ("elsewhere", 1, 2)


def test_every_problem_with_retry_headers_is_named_at_once():
    with pytest.raises(PoisonRecord) as caught:
        check_retry_headers({})
    text = str(caught.value)
    assert f"{ATTEMPT}='(missing)'" in text and f"{NOT_BEFORE}='(missing)'" in text and f"{SOURCE}='(missing)'" in text


def test_a_retry_of_a_first_delivery_points_at_it_and_keeps_its_other_headers():
    msg = record("chesanto.auth", 1, 42, [("ce_id", b"abc"), ("ce_type", b"auth.otp_requested")])
    before = time.time()
    headers = dict(retry_headers(msg, {}, attempt=1, delay=60, reason="transient failure", known_topics=KNOWN))
    assert headers["ce_id"] == b"abc" and headers["ce_type"] == b"auth.otp_requested"
    assert headers[ATTEMPT] == b"1"
    assert headers[SOURCE] == b"chesanto.auth:1:42"
    assert headers[LAST_ERROR] == b"transient failure"
    due = due_at({NOT_BEFORE: headers[NOT_BEFORE].decode()})
    assert before + 60 - 0.01 <= due <= time.time() + 60
    assert check_retry_headers({k: v.decode() for k, v in headers.items()}) == 1  # what it writes, it reads back


def test_a_retry_of_a_retry_replaces_the_retry_headers_and_keeps_the_first_source():
    old = [("ce_id", b"abc"), (ATTEMPT, b"1"), (NOT_BEFORE, b"1"), (SOURCE, b"chesanto.auth:1:42"), (LAST_ERROR, b"old")]
    msg = record("test.retry.email", 0, 7, old)
    decoded = {k: v.decode() for k, v in old}
    headers = retry_headers(msg, decoded, attempt=2, delay=0, reason="x" * 600, known_topics=KNOWN)
    names = [name for name, _ in headers]
    assert names.count(ATTEMPT) == names.count(NOT_BEFORE) == names.count(SOURCE) == names.count(LAST_ERROR) == 1
    as_dict = dict(headers)
    assert as_dict[ATTEMPT] == b"2" and as_dict[SOURCE] == b"chesanto.auth:1:42"
    assert len(as_dict[LAST_ERROR]) == 500  # the reason is cut to 500 characters
