"""The relay's /healthz answer: what is down, by name, and never an error's text (anyone who reaches the
port reads it; the relay's log has the details)."""
import json

from relay.runner import Relay


def test_an_outage_is_named_without_its_error(settings):
    settings.RELAY_BACKOFF_INITIAL = settings.RELAY_BACKOFF_MAX = 0.01
    relay = Relay()
    assert relay.health() == (False, {"connected": False, "published": 0, "stopping": False, "reason": "connecting"})
    relay._back_off("database", OSError('connection to server at "10.0.0.5", port 5432 failed: FATAL: password'))
    ok, details = relay.health()
    assert not ok and details["down"] == ["database"]
    assert "10.0.0.5" not in json.dumps(details) and "FATAL" not in json.dumps(details)
    relay._back_off("broker", OSError("kafka-1.internal:9093/1: Connect to ipv4#10.0.0.7:9093 failed"))
    assert relay.health()[1]["down"] == ["broker"] and "10.0.0.7" not in json.dumps(relay.health())
