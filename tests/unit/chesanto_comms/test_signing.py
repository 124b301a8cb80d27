"""The optional record signature: any change to key, value, ce_id or ce_type breaks it."""
import pytest

from chesanto_comms import signing

FIELDS = dict(key=b"order-17", value=b'{"total":"110.00"}', ce_id=b"4b0d6c1e-0b8e-4a52-9d4f-6c1d2b0f7a10",
              ce_type=b"sales.order_confirmed")


def test_a_signed_record_verifies_under_its_key_and_after_rotation():
    header = signing.signature("old-key", **FIELDS).decode()
    assert signing.verified(["old-key"], header, **FIELDS)
    assert signing.verified(["new-key", "old-key"], header, **FIELDS)  # the consumers learn the new key first
    assert not signing.verified(["new-key"], header, **FIELDS)


@pytest.mark.parametrize("field, forged", [("key", b"order-18"), ("value", b'{"total":"1.00"}'),
                                           ("ce_id", b"00000000-0000-0000-0000-000000000000"),
                                           ("ce_type", b"auth.otp_requested"), ("key", None)])
def test_any_changed_field_is_a_forgery(field, forged):
    header = signing.signature("k", **FIELDS).decode()
    assert not signing.verified(["k"], header, **{**FIELDS, field: forged})


def test_lengths_are_part_of_it_so_fields_cannot_trade_bytes():
    a = signing.signature("k", key=b"ab", value=b"c", ce_id=b"x", ce_type=b"y")
    b = signing.signature("k", key=b"a", value=b"bc", ce_id=b"x", ce_type=b"y")
    assert a != b


@pytest.mark.parametrize("header", [None, "", "v2=abc", "v1=", "v1=" + "0" * 64])
def test_missing_or_malformed_headers_do_not_verify(header):
    assert not signing.verified(["k"], header, **FIELDS)
