"""Meta's error codes, classified: rate limits and outages retried, undeliverable and window errors not."""
from __future__ import annotations

import pytest

from consumers.providers import PermanentError, TransientError
from consumers.whatsapp.errors import ERROR_CODES, MetaBusy, MetaRefused, meta_error, verdict_for


@pytest.mark.parametrize("code", [4, 80007, 130429, 131048, 131056])
def test_rate_limits_are_transient(code):
    assert verdict_for(code).retry


@pytest.mark.parametrize("code", [0, 190, 10, 3, 250])
def test_token_and_permission_errors_are_ours_to_fix_so_transient(code):
    assert verdict_for(code).retry


@pytest.mark.parametrize("code, status", [
    (131026, "REJECTED"),  # undeliverable: no WhatsApp account, old app, terms not accepted
    (131050, "REJECTED"),  # stopped marketing messages
    (131047, "FAILED"),  # the re-engagement window
    (131051, "FAILED"),
    (100, "FAILED"),
    (132000, "FAILED"), (132001, "FAILED"), (132012, "FAILED"), (132015, "FAILED"), (132016, "FAILED"),
    (132999, "FAILED"),  # a template error not in the table: by its family
])
def test_undeliverable_window_template_and_parameter_errors_are_permanent(code, status):
    verdict = verdict_for(code)
    assert not verdict.retry and verdict.status == status


def test_unknown_codes_fall_back_on_the_http_status():
    assert verdict_for(None, 503).retry and verdict_for(None, 429).retry and verdict_for(999999, 500).retry
    assert not verdict_for(None, 400).retry and not verdict_for(999999, 400).retry
    assert verdict_for(None, 404).meaning == "HTTP 404: request refused"


def test_every_meaning_says_something():
    assert all(len(verdict.meaning) > 10 for verdict in ERROR_CODES.values())


def test_the_errors_raised_carry_the_code_and_the_providers_wait():
    busy = meta_error(verdict_for(130429), "slow down", code=130429, retry_after=30.0)
    refused = meta_error(verdict_for(131026), "no WhatsApp", code=131026)
    assert isinstance(busy, MetaBusy) and isinstance(busy, TransientError)
    assert (busy.code, busy.retry_after) == (130429, 30.0)
    assert isinstance(refused, MetaRefused) and isinstance(refused, PermanentError)
    assert (refused.code, refused.status, str(refused)) == (131026, "REJECTED", "no WhatsApp")
