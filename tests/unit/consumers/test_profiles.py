"""A recipient's profile (consumers/profiles.py): time zone, own quiet hours and language, keyed as their
preferences are, with errors that say what to give."""
from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from consumers import profiles
from consumers.models import RecipientProfile
from consumers.profiles import ProfileError

pytestmark = pytest.mark.django_db


def test_a_recipient_who_chose_nothing_has_an_empty_unsaved_profile():
    profile = profiles.get("Wanjiku@Example.com")
    assert profile.pk is None and profile.key == "wanjiku@example.com"
    assert (profile.time_zone, profile.quiet_hours, profile.language) == ("", "", None)


def test_choices_are_kept_under_the_recipients_key_in_one_row():
    user = get_user_model().objects.create_user("amina", "amina@example.com", "x")
    profiles.set_language(user, "sw")
    profiles.set_time_zone(user, "Europe/London")
    profiles.set_quiet_hours(user, " 22:30 - 06:00 ")
    (row,) = RecipientProfile.objects.filter(key=f"user:{user.pk}")
    assert (row.language, row.time_zone, row.quiet_hours) == ("sw", "Europe/London", "22:30-06:00")
    profiles.set_quiet_hours(user, "OFF")
    assert profiles.get(user).quiet_hours == "off"
    profiles.set_language(user, None)
    profiles.set_time_zone(user, None)
    profiles.set_quiet_hours(user, None)
    assert (profiles.get(user).language, profiles.get(user).time_zone, profiles.get(user).quiet_hours) == (None, "", "")
    profiles.set_time_zone("0712 345 678", "Africa/Kampala")  # a number, as SMS keys it: E.164
    assert RecipientProfile.objects.get(key="+254712345678").time_zone == "Africa/Kampala"


def test_a_bad_choice_says_what_to_give():
    with pytest.raises(ProfileError, match="'fr' is not a language: use one of en, sw"):
        profiles.set_language("a@example.com", "fr")
    with pytest.raises(ProfileError, match="'Nairobi' is not a time zone: give an IANA name such as Africa/Nairobi"):
        profiles.set_time_zone("a@example.com", "Nairobi")
    with pytest.raises(ProfileError, match="HH:MM-HH:MM"):
        profiles.set_quiet_hours("a@example.com", "9pm-7am")
    with pytest.raises(ProfileError, match="names no recipient"):
        profiles.set_language("not a number", "sw")
    assert not RecipientProfile.objects.exists()
