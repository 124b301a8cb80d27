import json

import pytest

from outbox import UnknownEventType
from outbox.events import event_types, get_event_type
from outbox.events.samples import SAMPLES, sample


def test_every_event_type_has_a_sample():
    assert set(SAMPLES) == set(event_types())


@pytest.mark.parametrize("event_type", sorted(SAMPLES))
def test_sample_is_valid_and_json_compatible(event_type):
    payload = sample(event_type)
    assert json.loads(json.dumps(payload)) == payload
    get_event_type(event_type).parse(payload)  # raises InvalidEventData naming any bad field


def test_sample_is_a_copy():
    payload = sample("sales.order_confirmed")
    payload["items"][0]["product"] = "changed"
    assert sample("sales.order_confirmed")["items"][0]["product"] == "White bread 400g"


def test_unknown_event_type():
    with pytest.raises(UnknownEventType, match="auth.nope"):
        sample("auth.nope")
