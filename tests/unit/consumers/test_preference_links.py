"""The signed links in messages (consumers/preference_links.py) and what the page they open records
(consumers/preference_page/): a token round-trips, expires after COMMS_PREFERENCE_LINK_MAX_AGE days, and a
changed one is refused; a page saved twice and a one-click POST repeated add no second consent row."""
from __future__ import annotations

import time

import pytest
from django.core import signing

from consumers import preference_links, preferences
from consumers.models import ConsentChange
from consumers.preference_links import Link, LinkRefused
from consumers.preference_page import choices
from outbox.events.categories import Category

LINK = Link("wanjiku@example.com", "email", Category.TRANSACTIONAL)


def test_a_token_names_its_recipient_channel_and_category():
    assert preference_links.read(preference_links.token(LINK)) == LINK


def test_a_token_older_than_the_max_age_is_refused_as_expired(settings, monkeypatch):
    settings.COMMS_PREFERENCE_LINK_MAX_AGE = 90
    signed = preference_links.token(LINK)
    ninety_one_days = 91 * 86400
    monkeypatch.setattr(time, "time", lambda real=time.time: real() + ninety_one_days)
    with pytest.raises(LinkRefused, match="older than 90 days") as refused:
        preference_links.read(signed)
    assert refused.value.expired


def test_a_changed_token_is_refused_as_not_ours():
    signed = preference_links.token(LINK)
    changed = signed.replace("email", "sms") if "email" in signed else "x" + signed
    forged = signing.dumps(["wanjiku@example.com", "email", "transactional"], salt="another-salt", compress=False)
    for token in (changed, forged, "not-a-token", signed[:-2]):
        with pytest.raises(LinkRefused) as refused:
            preference_links.read(token)
        assert not refused.value.expired


def test_a_signed_critical_link_is_refused():
    critical = signing.dumps(["wanjiku@example.com", "email", "critical"], salt=preference_links.SALT, compress=False)
    with pytest.raises(LinkRefused):
        preference_links.read(critical)


def test_critical_messages_and_an_unset_public_url_carry_no_links(settings):
    settings.COMMS_PUBLIC_URL = ""
    assert preference_links.urls("email", Category.MARKETING, "a@example.com") is None
    settings.COMMS_PUBLIC_URL = "https://comms.example/"
    assert preference_links.urls("email", Category.CRITICAL, "a@example.com") is None
    urls = preference_links.urls("email", Category.MARKETING, "a@example.com")
    token = urls.page.removeprefix("https://comms.example/comms/preferences/").removesuffix("/")
    assert urls.unsubscribe == f"https://comms.example/comms/preferences/{token}/unsubscribe/"
    assert preference_links.read(token) == Link("a@example.com", "email", Category.MARKETING)


@pytest.mark.django_db
def test_the_page_offers_the_channels_of_the_keys_kind_and_records_only_changes():
    assert {c.channel for c in choices.choices("a@example.com")} == {"email"}
    assert {c.channel for c in choices.choices("+254712345678")} == {"sms", "whatsapp"}
    assert {c.channel for c in choices.choices("user:7")} == {"inbox", "push"}
    assert {c.category for c in choices.choices("user:7")} == {"transactional", "operational", "marketing"}

    ticked = {"transactional.email", "marketing.email"}  # operational unticked, marketing ticked
    changes = choices.apply("a@example.com", ticked)
    assert sorted((c.category, c.opted_in, c.source) for c in changes) == [
        ("marketing", True, "link"), ("operational", False, "link")]
    assert {c.wording for c in changes} == {choices.label(Category.MARKETING, "email"),
                                            choices.label(Category.OPERATIONAL, "email")}
    assert choices.apply("a@example.com", ticked) == []  # saved again: nothing new in the record
    assert ConsentChange.objects.filter(recipient="a@example.com").count() == 2


@pytest.mark.django_db
def test_one_click_unsubscribe_records_once():
    first = choices.unsubscribe(LINK)
    assert (first.opted_in, first.source, first.wording) == (False, "link", choices.ONE_CLICK_WORDING)
    assert choices.unsubscribe(LINK) is None
    assert not preferences.get(LINK.key, LINK.category, LINK.channel)
    assert ConsentChange.objects.filter(recipient=LINK.key).count() == 1


def test_the_public_url_must_be_absolute(settings):
    from chesanto_comms.conf import comms
    from chesanto_comms.env import SettingError

    settings.COMMS_PUBLIC_URL = "comms.example"
    with pytest.raises(SettingError, match="COMMS_PUBLIC_URL='comms.example': an absolute URL"):
        comms.COMMS_PUBLIC_URL


@pytest.mark.django_db
def test_the_pages_answer_old_changed_and_foreign_links_with_a_page(client, settings, monkeypatch):
    signed = preference_links.token(LINK)
    assert client.get(f"/comms/preferences/{signed}/unsubscribe/").headers["Location"] == f"/comms/preferences/{signed}/"
    assert ConsentChange.objects.count() == 0  # a GET of the one-click URL changes nothing

    forged = client.post(f"/comms/preferences/x{signed}/unsubscribe/")
    assert forged.status_code == 403 and "This link does not work" in forged.content.decode()
    foreign = preference_links.token(Link("a@example.com", "carrier-pigeon", Category.MARKETING))
    refused = client.post(f"/comms/preferences/{foreign}/unsubscribe/")
    assert refused.status_code == 403 and "is not an installed channel" in refused.content.decode()

    monkeypatch.setattr(time, "time", lambda real=time.time: real() + 91 * 86400)
    expired = client.get(f"/comms/preferences/{signed}/")
    assert expired.status_code == 410 and "This link has expired" in expired.content.decode()
    assert ConsentChange.objects.count() == 0
