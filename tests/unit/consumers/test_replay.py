"""The parts of a replay request that need no services: times, offsets, validation, the summary line."""
from datetime import datetime, timedelta, timezone

import pytest

from consumers.replay import ReplayError, ReplayRequest, Summary, _ms, parse_moment, parse_offsets

SINCE = datetime(2026, 3, 1, 8, 0, tzinfo=timezone.utc)


def test_parse_moment_keeps_an_offset_and_gives_naive_times_the_time_zone(settings):
    settings.TIME_ZONE = "Africa/Nairobi"
    assert parse_moment("2026-03-01T11:00:00+03:00", "--since") == SINCE
    assert parse_moment("2026-03-01T08:00:00Z", "--since") == SINCE
    assert parse_moment("2026-03-01T11:00:00", "--since") == SINCE  # EAT, UTC+3


@pytest.mark.parametrize("value, message", [
    ("yesterday", "--since 'yesterday' is not an ISO 8601 time"),
    ("2026-13-01T00:00:00", "is not a valid time"),
])
def test_parse_moment_rejects_what_is_not_a_time(value, message):
    with pytest.raises(ReplayError, match=message):
        parse_moment(value, "--since")


def test_parse_offsets():
    assert parse_offsets("chesanto.auth:0:12, chesanto.sales:5:0") == [("chesanto.auth", 0, 12), ("chesanto.sales", 5, 0)]


@pytest.mark.parametrize("spec, bad", [
    ("chesanto.auth:0", "chesanto.auth:0"), ("chesanto.auth:x:1", "chesanto.auth:x:1"),
    ("chesanto.auth:0:-1", "chesanto.auth:0:-1"), (":0:1", ":0:1"), ("a:0:1,b", "b"),
])
def test_parse_offsets_names_the_bad_part(spec, bad):
    with pytest.raises(ReplayError, match=f"'{bad}' is not topic:partition:offset"):
        parse_offsets(spec)


def test_parse_offsets_needs_a_position():
    with pytest.raises(ReplayError, match="names no position"):
        parse_offsets(" , ")


@pytest.mark.parametrize("kwargs, message", [
    ({}, "--since <ISO time> or --from-offsets"),
    ({"since": SINCE, "until": SINCE - timedelta(seconds=1)}, "is before --since"),
    ({"topics": ("t",), "from_offsets": (("t", 0, 0),)}, "leave out --topic"),
])
def test_request_validation(kwargs, message):
    with pytest.raises(ReplayError, match=message):
        ReplayRequest("email", **kwargs)


def test_summary_line():
    assert Summary(read=12, skipped=7, sent=4, failed=1).line() == "read 12, skipped 7, sent 4, failed 1, poison 0"
    assert Summary(read=3, skipped=1, would_send=2, dry_run=True).line() == \
        "read 3, skipped 1, sent 0, failed 0, poison 0, would send 2"
    assert Summary(read=1, skipped=1, expired=1).line().endswith(", expired 1 (counted as skipped)")


def test_milliseconds_round_inwards():
    moment = datetime(2026, 3, 1, 8, 0, 0, 1500, tzinfo=timezone.utc)  # 1.5 ms past the second
    whole = int(datetime(2026, 3, 1, 8, tzinfo=timezone.utc).timestamp() * 1000)
    assert _ms(moment) == whole + 2 and _ms(moment, ceil=False) == whole + 1
