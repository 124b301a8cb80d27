"""The webhook's pure parts: Meta's signature, and what each status says for the log."""
from __future__ import annotations

from datetime import datetime, timezone

from consumers.whatsapp.webhooks import change_for, changes, describe_error, signature, signed_by

BODY = b'{"object":"whatsapp_business_account","entry":[]}'


def test_the_signature_is_the_hex_hmac_sha256_of_the_raw_body_keyed_with_the_app_secret():
    # a known answer: HMAC-SHA256(key="secret", message="test")
    assert signature(b"test", "secret") == "sha256=0329a06b62cd16b33eb6792be8c60b158d89a2ee3a876fce9a881ebb488c0914"


def test_only_the_exact_signature_of_these_bytes_passes():
    good = signature(BODY, "app-secret")
    assert signed_by(BODY, good, "app-secret")
    assert not signed_by(BODY, good, "another-secret")
    assert not signed_by(BODY + b" ", good, "app-secret")  # the same JSON re-spaced is not what Meta signed
    assert not signed_by(BODY, good.removeprefix("sha256="), "app-secret")
    assert not signed_by(BODY, good.upper(), "app-secret")
    assert not signed_by(BODY, "", "app-secret")


def test_statuses_map_to_log_changes_with_their_time():
    at = datetime(2026, 11, 21, 9, 30, tzinfo=timezone.utc)
    stamp = str(int(at.timestamp()))
    assert change_for({"status": "sent", "timestamp": stamp}).status == "SENT"
    delivered = change_for({"status": "delivered", "timestamp": stamp})
    assert (delivered.status, delivered.at) == ("DELIVERED", at)
    read = change_for({"status": "read", "timestamp": stamp})
    assert (read.status, read.at, read.opened_at) == ("DELIVERED", at, at)  # read implies delivered
    assert change_for({"status": "deleted"}).status == ""


def test_a_failed_status_is_classified_by_its_error_code():
    undeliverable = change_for({"status": "failed", "errors": [
        {"code": 131026, "title": "Message undeliverable", "error_data": {"details": "Message Undeliverable."}}]})
    assert undeliverable.status == "REJECTED"
    assert undeliverable.error.startswith("WhatsApp failed, error 131026: Message undeliverable; Message Undeliverable. (")
    window = change_for({"status": "failed", "errors": [{"code": 131047, "title": "Re-engagement message"}]})
    assert window.status == "FAILED" and "24 hours" in window.error
    # A rate limit reported after the fact is final all the same: nothing retries a callback.
    assert describe_error([{"code": 131048}])[0] == "FAILED"
    assert describe_error(None) == ("FAILED", "WhatsApp failed, error -: no details (HTTP None: request refused)")


def test_only_messages_changes_are_read():
    body = {"entry": [{"changes": [{"field": "messages", "value": {"statuses": []}},
                                   {"field": "account_update", "value": {"event": "x"}}, "junk"]}, 7]}
    assert changes(body) == [{"statuses": []}]
    assert changes([]) == [] and changes({"entry": "x"}) == []
