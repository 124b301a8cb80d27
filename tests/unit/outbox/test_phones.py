"""Phone numbers: one rule (outbox/events/phones.py) for the event schemas and the SMS channel."""
import pytest

from outbox import InvalidEventData
from outbox.events import get_event_type
from outbox.events.phones import InvalidPhoneNumber, e164
from outbox.events.samples import sample


@pytest.mark.parametrize("written, normalised", [
    ("+254712345678", "+254712345678"),
    ("0712345678", "+254712345678"),  # a national number, read in COMMS_PHONE_REGION (KE)
    ("0712 345 678", "+254712345678"),
    ("+254 (0)712-345.678", "+254712345678"),
    (" +254712345678 ", "+254712345678"),
    ("+12025550123", "+12025550123"),  # another country, by its code
    ("+256 772 123456", "+256772123456"),
])
def test_a_number_is_normalised_to_e164(written, normalised):
    assert e164(written) == normalised


@pytest.mark.parametrize("number, why", [
    ("+254٧١٢345678", "digits other than ASCII 0-9"),  # Arabic-Indic digits: phonenumbers would read 712
    ("０７１２３４５６７８", "digits other than ASCII 0-9"),  # full-width digits
    ("+1 800 FLOWERS", "only ASCII digits"),  # a vanity number
    ("+254712345678 ext. 12", "only ASCII digits"),  # an extension E.164 cannot carry
    ("0712345678x1", "only ASCII digits"),
    ("+254712345678\x00", "only ASCII digits"),
    ("", "only ASCII digits"),
    ("---", "only ASCII digits"),
    ("+2541234", "not a valid phone number in KE"),  # too short for Kenya
    ("0712", "not a valid phone number"),
    ("+999 123 456 789", "not a phone number: Could not interpret numbers after plus-sign"),  # no such country
    ("1" * 31, "longer than 30 characters"),
    (None, "expected text"),
    (254712345678, "expected text"),
])
def test_a_number_that_is_not_valid_is_refused_saying_why(number, why):
    with pytest.raises(InvalidPhoneNumber, match=why):
        e164(number)


def test_national_numbers_are_read_in_the_configured_region(settings):
    settings.COMMS_PHONE_REGION = "UG"
    assert e164("0772 123456") == "+256772123456"
    assert e164("+254712345678") == "+254712345678"  # a number with its country code is read as written
    with pytest.raises(InvalidPhoneNumber, match="in UG"):
        e164("0712 34")


def test_an_unknown_region_is_a_setting_error(settings):
    from chesanto_comms.conf import SettingError, comms

    settings.COMMS_PHONE_REGION = "KENYA"
    with pytest.raises(SettingError, match="COMMS_PHONE_REGION='KENYA': a region phonenumbers knows"):
        comms.COMMS_PHONE_REGION  # noqa: B018


@pytest.mark.parametrize("event_type, field", [
    ("dispatch.delivery_assigned", "phone"), ("auth.otp_requested", "phone"), ("auth.security_alert", "phone"),
    ("sales.payment_received", "phone"),
])
def test_event_schemas_store_phones_in_e164_and_refuse_other_digits(event_type, field):
    schema = get_event_type(event_type)
    assert getattr(schema.parse({**sample(event_type), field: "0712 345 678"}), field) == "+254712345678"
    with pytest.raises(InvalidEventData) as caught:
        schema.parse({**sample(event_type), field: "+254٧١٢345678"})
    assert set(caught.value.problems) == {field} and "ASCII" in caught.value.problems[field]


def test_every_phone_in_a_list_is_normalised_and_a_bad_one_is_named():
    schema = get_event_type("inventory.stock_low")
    event = schema.parse({**sample("inventory.stock_low"), "phones": ["0733 445566", "+254722334455"]})
    assert event.phones == ["+254733445566", "+254722334455"]
    with pytest.raises(InvalidEventData) as caught:
        schema.parse({**sample("inventory.stock_low"), "phones": ["+254733445566", "07３３445566"]})
    assert set(caught.value.problems) == {"phones.1"}


def test_log_lines_show_a_number_by_its_country_code_and_last_three_digits():
    from outbox.events.phones import masked_phone

    assert masked_phone("+254712345678") == "+254••••••678"
    assert masked_phone("+14155550100") == "+1•••••••100"
    assert masked_phone("0712345678") == "•••••••678"
    assert masked_phone("+2547") == "•••••"  # too short to show anything of


def test_an_sms_log_line_never_holds_the_whole_number():
    from consumers.sms.channel import SMSChannel

    assert SMSChannel(provider=object()).logged_recipient("+254712345678") == "+254••••••678"
