"""The users an event names, for the channels that deliver to users (consumers/recipients.py): an id
given wins; an address names a user only when exactly one active user has it."""
import pytest
from django.contrib.auth import get_user_model
from prometheus_client import REGISTRY

from consumers.recipients import Miss, Named, count_misses, named_in, resolve
from outbox.events import get_event_type
from outbox.events.samples import sample

pytestmark = pytest.mark.django_db


def user(username: str, email: str, **fields):
    return get_user_model().objects.create(username=username, email=email, **fields)


def test_an_address_exactly_one_active_user_has_is_that_user_whatever_its_case():
    achieng = user("achieng", "Achieng@example.com")
    assert resolve(["ACHIENG@example.com"], None) == [Named("achieng@example.com", False, str(achieng.pk))]


def test_an_address_several_active_users_have_names_none_of_them():
    bob = user("bob", "bob@example.com")
    user("alice", "BOB@example.com")  # anyone may set their address to someone else's
    (named,) = resolve(["bob@example.com"], None)
    assert (named.user_id, named.miss) == (None, Miss.SEVERAL_USERS)
    assert "several active users have the address bob@example.com" in named.reason()
    assert "give the user's id in the event" in named.reason()
    assert resolve(["bob@example.com"], [bob.pk]) == [Named(str(bob.pk), True, str(bob.pk))]  # the id settles it


def test_inactive_users_are_ignored_by_address_and_by_id():
    user("gone", "shared@example.com", is_active=False)
    kept = user("kept", "shared@example.com")  # the only active one: the address is theirs
    gone_alone = user("gone-alone", "gone@example.com", is_active=False)
    assert [n.user_id for n in resolve(["shared@example.com"], None)] == [str(kept.pk)]
    assert resolve(["gone@example.com"], None) == [Named("gone@example.com", False, miss=Miss.NO_USER)]
    assert resolve([], [gone_alone.pk]) == [Named(str(gone_alone.pk), True, miss=Miss.NO_USER)]


def test_ids_given_win_and_no_address_of_the_field_is_looked_up():
    wanjiku = user("wanjiku", "wanjiku@example.com")
    other = user("other", "other@example.com")
    named = resolve(["other@example.com", "nobody@example.com"], [wanjiku.pk, str(wanjiku.pk), 999_999_999, "abc"])
    assert named == [Named(str(wanjiku.pk), True, str(wanjiku.pk)),  # each id once, as int or text
                     Named("999999999", True, miss=Miss.NO_USER),
                     Named("abc", True, miss=Miss.NO_USER)]  # not a key an integer-keyed user model can have
    assert str(other.pk) not in [n.user_id for n in named]
    assert named[1].reason() == "no active user has the id 999999999" and named[1].label == "user 999999999"
    assert resolve(["other@example.com"], []) == []  # ids given, and none: nobody


def test_an_address_no_active_user_has_and_the_order_of_names_is_kept():
    a, b = user("a", "a@example.com"), user("b", "b@example.com")
    named = resolve(["b@example.com", "x@example.com", "A@example.com"], None)
    assert [(n.name, n.user_id, n.miss) for n in named] == [
        ("b@example.com", str(b.pk), None), ("x@example.com", None, Miss.NO_USER), ("a@example.com", str(a.pk), None)]
    assert resolve([], None) == []


def test_named_in_reads_the_event_fields():
    data = get_event_type("inventory.stock_low").parse(
        {**sample("inventory.stock_low"), "recipients": ["stores@example.com"], "recipient_user_ids": None})
    keeper = user("keeper", "stores@example.com")
    assert [n.user_id for n in named_in("recipients", "recipient_user_ids")(data)] == [str(keeper.pk)]
    data = get_event_type("auth.security_alert").parse({**sample("auth.security_alert"), "user_id": keeper.pk})
    assert named_in("email", "user_id")(data) == [Named(str(keeper.pk), True, str(keeper.pk))]


def test_misses_are_counted_by_channel_and_reason():
    def count(reason):
        return REGISTRY.get_sample_value("chesanto_recipients_unresolved_total",
                                         {"channel": "unit", "reason": reason}) or 0.0
    before = count("no_user"), count("several_users")
    count_misses("unit", [Named("a@x.io", False, miss=Miss.NO_USER), Named("7", True, miss=Miss.NO_USER),
                          Named("b@x.io", False, miss=Miss.SEVERAL_USERS), Named("8", True, "8")])
    assert (count("no_user") - before[0], count("several_users") - before[1]) == (2, 1)
