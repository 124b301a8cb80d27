"""One provider verdict for every channel (consumers/providers.py): what each classification returns."""
from __future__ import annotations

import pytest

from consumers.delivery_log import DeliveryStatus
from consumers.providers import (
    Action,
    AddressRejected,
    PermanentError,
    ProviderVerdict,
    TransientError,
    drop_address,
    failed,
    http_verdict,
    rejected,
    transient,
)
from consumers.push.fcm import ERROR_CODES as FCM_CODES
from consumers.push.fcm import FcmError
from consumers.sms.providers.africastalking import RECIPIENT_STATUS
from consumers.sms.providers.base import http_verdict as sms_http_verdict
from consumers.sms.providers.twilio import verdict_for_code
from consumers.whatsapp.errors import MetaBusy, MetaRefused, meta_error, verdict_for


@pytest.mark.parametrize(("verdict", "action", "status", "error"), [
    (transient("busy"), Action.RETRY, DeliveryStatus.FAILED, TransientError),
    (rejected("no such number"), Action.FAIL, DeliveryStatus.REJECTED, PermanentError),
    (failed("refused"), Action.FAIL, DeliveryStatus.FAILED, PermanentError),
    (failed("elsewhere", status=DeliveryStatus.REJECTED), Action.FAIL, DeliveryStatus.REJECTED, PermanentError),
    (drop_address(DeliveryStatus.UNREGISTERED, "gone"), Action.DROP_ADDRESS, DeliveryStatus.UNREGISTERED,
     AddressRejected),
])
def test_each_kind_of_verdict_raises_its_error_with_its_status(verdict, action, status, error):
    assert (verdict.action, verdict.status, verdict.retry) == (action, status, action is Action.RETRY)
    raised = verdict.error("detail", retry_after=5.0)
    assert type(raised) is error and str(raised) == "detail"
    if isinstance(raised, PermanentError):
        assert raised.status == status
    else:
        assert raised.retry_after == 5.0


@pytest.mark.parametrize(("code", "retry"), [(429, True), (500, True), (503, True), (400, False), (404, False)])
def test_an_unexplained_http_error_is_transient_when_the_provider_is_busy(code, retry):
    assert http_verdict(code).retry is retry


def test_sms_treats_a_refused_api_key_as_ours_to_fix():
    assert sms_http_verdict(401).retry and not http_verdict(401).retry


def test_every_channel_classifies_into_the_one_verdict_type():
    verdicts = [verdict_for_code(21211), verdict_for_code(None, 503), *RECIPIENT_STATUS.values(),
                verdict_for(131026), verdict_for(None, 500), *FCM_CODES.values(),
                FcmError(400, None, "INVALID_ARGUMENT", "bad", about_token=True).verdict]
    assert all(type(v) is ProviderVerdict for v in verdicts)
    assert all(isinstance(v.status, DeliveryStatus) for v in verdicts)


def test_the_same_refusal_means_the_same_in_every_channel():
    assert verdict_for_code(21211).status == verdict_for(131026).status == DeliveryStatus.REJECTED
    assert RECIPIENT_STATUS[403].status == DeliveryStatus.REJECTED
    assert FCM_CODES["UNREGISTERED"].action is Action.DROP_ADDRESS


def test_whatsapp_errors_carry_metas_code():
    busy, refused = meta_error(verdict_for(4), "slow", code=4, retry_after=2.0), meta_error(verdict_for(131026), "no")
    assert isinstance(busy, MetaBusy) and (busy.code, busy.retry_after) == (4, 2.0)
    assert isinstance(refused, MetaRefused) and refused.status == DeliveryStatus.REJECTED


def test_no_two_classes_are_called_verdict():
    import consumers.push.fcm
    import consumers.sms.providers.base
    import consumers.whatsapp.errors

    for module in (consumers.push.fcm, consumers.sms.providers.base, consumers.whatsapp.errors):
        assert not hasattr(module, "Verdict"), module.__name__


def test_a_status_finds_its_rank_as_its_text_would():
    from consumers.channels import log_models

    assert all(status.name == status.value for status in DeliveryStatus)
    for model in log_models().values():
        assert all(model.STATUS_RANK[DeliveryStatus(name)] == rank for name, rank in model.STATUS_RANK.items())
