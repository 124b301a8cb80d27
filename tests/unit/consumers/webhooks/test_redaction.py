"""The filter that keeps URL secrets out of Django's request logs (consumers/webhooks/redaction.py)."""
from __future__ import annotations

import logging

from django.test import RequestFactory

from consumers.webhooks.redaction import RedactSecretSegments, request_loggers

SECRET = "S3cr3t-segment_of-the-url"
PATH = f"/hooks/africastalking/delivery/{SECRET}/"  # mounted anywhere: the route after it is what counts


class Collect(logging.Handler):
    def __init__(self):
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


def logged(logger_name: str, *args, **kwargs) -> logging.LogRecord:
    """Log through the real logger (with the filter the app installed) and return what a handler got."""
    logger, handler = logging.getLogger(logger_name), Collect()
    logger.addHandler(handler)
    try:
        logger.warning(*args, **kwargs)
    finally:
        logger.removeHandler(handler)
    (record,) = handler.records
    return record


def test_the_app_installs_the_filter_on_every_request_logger_once():
    for name in request_loggers():
        filters = logging.getLogger(name).filters
        assert sum(isinstance(f, RedactSecretSegments) for f in filters) == 1, name
    assert {"django.request", "django.server", "django.security.csrf", "django.security.DisallowedHost"} <= set(request_loggers())


def test_runservers_access_line_is_masked():
    record = logged("django.server", '"%s" %s %s', f"POST {PATH} HTTP/1.1", "403", "12")
    assert record.getMessage() == '"POST /hooks/africastalking/delivery/********/ HTTP/1.1" 403 12'
    assert record.args == ()


def test_gunicorns_access_line_is_masked():
    atoms = {"h": "196.201.214.7", "r": f"POST {PATH} HTTP/1.1", "s": "200"}
    record = logged("gunicorn.access", '%(h)s "%(r)s" %(s)s', atoms)
    assert record.getMessage() == '196.201.214.7 "POST /hooks/africastalking/delivery/********/ HTTP/1.1" 200'


def test_a_path_without_trailing_slash_an_extra_segment_or_escaped_characters_is_masked():
    for path in (f"/africastalking/delivery/{SECRET}", f"/Africastalking/Delivery/{SECRET}/more/",
                 f"/africastalking/delivery/{SECRET}\\u00e9x/", f"/africastalking/delivery/{SECRET}?x=1"):
        message = logged("django.request", "Not Found: %s", path).getMessage()
        assert SECRET not in message and "********" in message, message


def test_the_attached_request_and_a_traceback_are_masked_and_the_live_request_is_not():
    request = RequestFactory().post(PATH)
    try:
        raise RuntimeError(f"while handling {PATH}")
    except RuntimeError as exc:
        record = logged("django.request", "Internal Server Error: %s", request.path, exc_info=exc,
                        extra={"request": request, "status_code": 500})
    assert SECRET not in record.getMessage() and SECRET not in logging.Formatter().format(record)
    assert SECRET not in record.request.get_full_path() and SECRET not in repr(record.request.META)
    assert record.request.resolver_match is None
    assert request.path == PATH  # the request being answered keeps its path


def test_other_records_are_left_as_they_were():
    record = logged("django.request", "Forbidden: %s", "/admin/comms_email/emaillog/")
    assert record.args == ("/admin/comms_email/emaillog/",)


def test_the_opt_out_callbacks_secret_is_masked_too():
    record = logged("django.server", '"%s" %s %s', f"POST /webhooks/africastalking/opt-out/{SECRET}/ HTTP/1.1", "200", "9")
    assert record.getMessage() == '"POST /webhooks/africastalking/opt-out/********/ HTTP/1.1" 200 9'
