"""The generic webhook's signature: the documented scheme, and what a receiver refuses."""
import hashlib
import hmac

import pytest

from chesanto_chat import signing

SECRET = "whsec-local-0123456789abcdef"
BODY = b'{"id":"e1","type":"inventory.stock_low"}'
NOW = 1796112000.0


def test_the_signature_is_hmac_sha256_of_timestamp_dot_body_in_hex():
    headers = signing.sign(SECRET, BODY, NOW)
    expected = hmac.new(SECRET.encode(), b"1796112000." + BODY, hashlib.sha256).hexdigest()
    assert headers == {"X-Chesanto-Timestamp": "1796112000", "X-Chesanto-Signature": f"sha256={expected}"}


def test_a_signed_request_verifies_within_the_tolerance():
    headers = signing.sign(SECRET, BODY, NOW)
    signing.verify(SECRET, headers[signing.TIMESTAMP], headers[signing.SIGNATURE], BODY, now=NOW + 299)


def test_verify_takes_any_of_several_secrets_while_one_is_rotated():
    headers = signing.sign(SECRET, BODY, NOW)
    signing.verify(["new-secret-0000000000", SECRET], headers[signing.TIMESTAMP], headers[signing.SIGNATURE], BODY,
                   now=NOW)


@pytest.mark.parametrize(("change", "reason"), [
    (dict(body=BODY + b" "), "does not match"),
    (dict(secret="another-secret-000000"), "does not match"),
    (dict(now=NOW + 301), "more than 300s"),
    (dict(timestamp="1796112001"), "does not match"),
    (dict(timestamp="yesterday"), "not unix seconds"),
    (dict(signature="md5=abc"), "not sha256"),
    (dict(signature=None), "missing"),
])
def test_a_receiver_refuses_what_the_secret_did_not_sign_now(change, reason):
    headers = signing.sign(SECRET, BODY, NOW)
    args = dict(secret=SECRET, timestamp=headers[signing.TIMESTAMP], signature=headers[signing.SIGNATURE], body=BODY,
                now=NOW)
    args.update(change)
    with pytest.raises(signing.BadSignature, match=reason):
        signing.verify(args["secret"], args["timestamp"], args["signature"], args["body"], now=args["now"])
