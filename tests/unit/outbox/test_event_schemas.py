import pytest

from outbox import InvalidEventData, UnknownEventType
from outbox.events import domains, get_event_type

INVITE = {"email": "a@example.com", "name": "A", "role": "Baker", "temp_password": "pw", "login_url": "https://x.test/login"}


def test_valid_data_parses_and_keys_on_the_recipient():
    event = get_event_type("auth.user_invited").parse(INVITE)
    assert event.partition_key() == "a@example.com"
    assert event.revealed()["temp_password"] == "pw"
    assert event.masked()["temp_password"] == "**********"
    assert get_event_type("auth.user_invited").secret_fields() == ("temp_password",)


def test_every_bad_field_is_named():
    with pytest.raises(InvalidEventData) as caught:
        get_event_type("auth.user_invited").parse({**INVITE, "email": "nope", "login_url": "ftp://x", "colour": "red"})
    assert set(caught.value.problems) == {"email", "login_url", "colour"}
    assert "Extra inputs are not permitted" in caught.value.problems["colour"]


def test_missing_field_and_wrong_type_of_data():
    schema = get_event_type("auth.otp_requested")
    with pytest.raises(InvalidEventData, match="code: Field required"):
        schema.parse({"email": "a@example.com", "name": "A"})
    with pytest.raises(InvalidEventData, match="expected a mapping, got list"):
        schema.parse([])


def test_unknown_type_lists_the_known_ones():
    with pytest.raises(UnknownEventType, match="'auth.nope'.*auth.otp_requested"):
        get_event_type("auth.nope")
    assert "auth" in domains()
