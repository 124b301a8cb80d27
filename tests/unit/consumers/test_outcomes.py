"""What the consume loop does with a record, decided from its messages' outcomes (consumers/outcomes.py)."""
from __future__ import annotations

import pytest

from consumers.outcomes import Delivery, MessageOutcome, RenderFailed, Verdict

O = MessageOutcome


@pytest.mark.parametrize(("outcomes", "verdict"), [
    ((), Verdict.DONE),
    ((O.SENT, O.ALREADY_FINAL, O.WITHHELD, O.FAILED, O.HELD), Verdict.DONE),
    ((O.SENT, O.RETRY), Verdict.RETRY),
    ((O.SENT, O.BUSY), Verdict.LATER),
    ((O.NOT_STARTED,), Verdict.LATER),
    ((O.RETRY, O.BUSY), Verdict.RETRY),  # the retry reads it again anyway, and counts the attempt
    ((O.RETRY, O.RENDER_FAILED), Verdict.DEAD_LETTER),
    ((O.SENT, O.BROKEN), Verdict.DEAD_LETTER),
])
def test_the_verdict_of_a_record(outcomes, verdict):
    assert Delivery(outcomes=outcomes).verdict is verdict


def test_a_row_the_database_refused_dead_letters_the_record_with_that_error():
    refused = ValueError("NUL byte")
    delivery = Delivery(outcomes=(O.SENT,), unlogged=refused)
    assert delivery.verdict is Verdict.DEAD_LETTER and delivery.error is refused


def test_render_errors_travel_as_one_error():
    delivery = Delivery(outcomes=(O.RENDER_FAILED, O.RENDER_FAILED), render_errors=("a: x", "b: y"))
    assert isinstance(delivery.error, RenderFailed) and str(delivery.error) == "a: x; b: y"


def test_an_unexpected_error_is_the_records_error():
    bug = KeyError("total")
    assert Delivery(outcomes=(O.BROKEN,), broken=bug).error is bug


@pytest.mark.parametrize("outcome", list(MessageOutcome))
def test_a_record_of_one_message_has_the_verdict_of_that_message(outcome):
    expected = {O.RETRY: Verdict.RETRY, O.BUSY: Verdict.LATER, O.NOT_STARTED: Verdict.LATER,
                O.RENDER_FAILED: Verdict.DEAD_LETTER, O.BROKEN: Verdict.DEAD_LETTER}.get(outcome, Verdict.DONE)
    assert Delivery(outcomes=(outcome,)).verdict is expected


def test_dead_lettering_outranks_retrying_which_outranks_looking_again_later():
    assert Delivery(outcomes=(O.BUSY, O.RETRY, O.RENDER_FAILED)).verdict is Verdict.DEAD_LETTER
    assert Delivery(outcomes=(O.NOT_STARTED, O.RETRY)).verdict is Verdict.RETRY
    assert Delivery(outcomes=(O.SENT,), broken=KeyError("x")).verdict is Verdict.DEAD_LETTER


def test_a_record_that_is_done_carries_no_error():
    delivery = Delivery(outcomes=(O.SENT, O.WITHHELD), retry_after=30.0)
    assert delivery.verdict is Verdict.DONE and delivery.error is None
