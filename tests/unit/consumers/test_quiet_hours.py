"""The quiet-hours window (consumers/quiet_hours.py): inside or not in the recipient's local time, and when a held
message goes — across midnight, in Nairobi (no clock changes) and in London (BST and GMT, and the nights the
clocks change)."""
from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from consumers.quiet_hours import NEVER_HELD, QuietHoursError, Window, applies, release_at, window, zone
from outbox.events.categories import Category

NAIROBI, LONDON = zone("Africa/Nairobi"), zone("Europe/London")
NIGHT = window("21:00-07:00")


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def test_a_window_is_read_from_its_text():
    assert NIGHT == Window(time(21), time(7))
    assert window(" 13:30 - 15:00 ") == Window(time(13, 30), time(15))
    assert str(NIGHT) == "21:00-07:00"
    assert window("off") is None and window("OFF") is None
    assert window("22:00-22:00") is None  # starts where it ends: no quiet hours


@pytest.mark.parametrize("text", ["21-07", "25:00-07:00", "21:00", "21:00-7:00", "nine to five", ""])
def test_a_window_that_cannot_be_read_says_what_to_give(text):
    with pytest.raises(QuietHoursError, match="HH:MM-HH:MM"):
        window(text)


def test_an_unknown_time_zone_says_what_to_give():
    with pytest.raises(QuietHoursError, match="IANA name"):
        zone("Africa/Atlantis")
    with pytest.raises(QuietHoursError, match="IANA name"):
        zone("../etc/passwd")


def test_a_window_crossing_midnight_contains_the_evening_and_the_early_morning():
    assert NIGHT.contains(time(21)) and NIGHT.contains(time(23, 59)) and NIGHT.contains(time(0))
    assert NIGHT.contains(time(6, 59))
    assert not NIGHT.contains(time(7)) and not NIGHT.contains(time(12)) and not NIGHT.contains(time(20, 59))


def test_a_window_within_a_day_contains_only_its_hours():
    lunch = window("13:00-14:00")
    assert lunch.contains(time(13)) and lunch.contains(time(13, 59))
    assert not lunch.contains(time(14)) and not lunch.contains(time(12, 59)) and not lunch.contains(time(23))


def test_nairobi_evening_is_held_until_seven_the_next_morning():
    # 19:30 UTC is 22:30 in Nairobi (UTC+3 all year): goes at 07:00 Nairobi, 04:00 UTC the next day
    assert release_at(NIGHT, NAIROBI, utc(2026, 6, 10, 19, 30)) == utc(2026, 6, 11, 4, 0)


def test_nairobi_small_hours_are_held_until_seven_the_same_morning():
    # 00:30 UTC is 03:30 in Nairobi
    assert release_at(NIGHT, NAIROBI, utc(2026, 6, 11, 0, 30)) == utc(2026, 6, 11, 4, 0)


def test_outside_the_window_nothing_is_held():
    assert release_at(NIGHT, NAIROBI, utc(2026, 6, 10, 9, 0)) is None  # 12:00 in Nairobi
    assert release_at(NIGHT, NAIROBI, utc(2026, 6, 10, 4, 0)) is None  # 07:00 exactly: the window has ended
    assert release_at(None, NAIROBI, utc(2026, 6, 10, 20, 0)) is None  # no window at all


def test_the_same_moment_is_quiet_in_one_zone_and_not_in_another():
    moment = utc(2026, 6, 10, 19, 0)  # 22:00 in Nairobi, 20:00 in London (BST)
    assert release_at(NIGHT, NAIROBI, moment) == utc(2026, 6, 11, 4, 0)
    assert release_at(NIGHT, LONDON, moment) is None
    # 21:30 in London in summer (BST, UTC+1): goes at 07:00 BST = 06:00 UTC
    assert release_at(NIGHT, LONDON, utc(2026, 6, 10, 20, 30)) == utc(2026, 6, 11, 6, 0)
    # in winter (GMT): 07:00 GMT = 07:00 UTC
    assert release_at(NIGHT, LONDON, utc(2026, 1, 10, 22, 0)) == utc(2026, 1, 11, 7, 0)


def test_the_release_follows_a_clock_change_in_the_night():
    # London's clocks go forward at 01:00 UTC on 29 March 2026: held at 22:00 GMT, it goes at 07:00 BST (06:00 UTC)
    assert release_at(NIGHT, LONDON, utc(2026, 3, 28, 22, 0)) == utc(2026, 3, 29, 6, 0)
    # ... and back at 01:00 UTC on 25 October 2026: held at 22:00 BST (21:00 UTC), it goes at 07:00 GMT (07:00 UTC)
    assert release_at(NIGHT, LONDON, utc(2026, 10, 24, 21, 0)) == utc(2026, 10, 25, 7, 0)


def test_a_window_within_the_day_releases_at_its_end_the_same_day():
    assert release_at(window("13:00-15:00"), NAIROBI, utc(2026, 6, 10, 10, 30)) == utc(2026, 6, 10, 12, 0)


def test_only_operational_and_marketing_on_the_named_channels_are_held():
    categories, channels = ["operational", "marketing"], ["sms", "whatsapp", "push"]
    assert applies(Category.OPERATIONAL, "sms", categories, channels)
    assert applies(Category.MARKETING, "push", categories, channels)
    assert not applies(Category.OPERATIONAL, "email", categories, channels)
    assert not applies(Category.OPERATIONAL, "inbox", categories, channels)
    assert not applies(Category.TRANSACTIONAL, "sms", categories, channels)
    assert not applies(Category.CRITICAL, "sms", categories, channels)
    # critical and transactional never, whatever the settings name
    assert NEVER_HELD == {Category.CRITICAL, Category.TRANSACTIONAL}
    assert not applies(Category.TRANSACTIONAL, "sms", ["transactional", "critical"], channels)
