"""Session-wide real services (PostgreSQL, Kafka, SMTP) and the settings that point at them."""
from __future__ import annotations

import logging
import os
import tempfile
import uuid
from collections import Counter
from contextlib import ExitStack
from urllib.parse import quote

import dj_database_url
import pytest

from chesanto_comms.conf import comms
from chesanto_comms.embedded.smtp import SmtpSink
from tests.support.flush import retry_teardown_flush_on_deadlock
from tests.support.services import Service, apache_kafka_service, kafka_service, postgres_service

logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP command at INFO
retry_teardown_flush_on_deadlock()

REFUSED_DOMAIN = "refused.example"  # the SMTP sink refuses every recipient here with a 550
DEFERRED_DOMAIN = "deferred.example"  # ... defers every recipient here with a 451
FLAKY_DOMAIN = "flaky.example"  # ... defers a recipient here twice, then accepts it
_flaky_attempts: Counter[str] = Counter()


def refuse_recipients(address: str) -> str | None:
    domain = address.lower().rsplit("@", 1)[-1]
    if domain == REFUSED_DOMAIN:
        return f"550 5.1.1 <{address}>: Recipient address rejected: mailbox unavailable"
    if domain == DEFERRED_DOMAIN:
        return f"451 4.7.1 <{address}>: Greylisted, try again later"
    if domain == FLAKY_DOMAIN:
        _flaky_attempts[address] += 1
        if _flaky_attempts[address] <= 2:
            return f"451 4.3.0 <{address}>: Temporary local problem"
    return None


@pytest.fixture(autouse=True)
def fresh_settings_cache():
    """Resolved settings are cached (chesanto_comms/conf.py); a test that changes the environment
    starts from nothing cached. Django setting changes empty the cache by themselves."""
    from chesanto_comms.conf import reset_cache

    reset_cache()
    yield
    reset_cache()


@pytest.fixture(scope="session")
def service_stack():
    with ExitStack() as stack:
        yield stack


@pytest.fixture(scope="session")
def postgres(service_stack) -> Service:
    return postgres_service(service_stack)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(postgres):
    """Point Django at the chosen server before pytest-django creates the test database."""
    from django.conf import settings

    parsed = dj_database_url.parse(postgres.url)
    settings.DATABASES["default"].update({k: parsed[k] for k in ("NAME", "USER", "PASSWORD", "HOST", "PORT")})
    # One test database per run, so concurrent runs on one server do not drop each other's.
    settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = f"test_chesanto_{os.getpid()}"


@pytest.fixture(scope="session")
def kafka(service_stack) -> Service:
    return kafka_service(service_stack)


@pytest.fixture(scope="session")
def apache_kafka(kafka, service_stack) -> Service:
    """An Apache Kafka broker, for what only it can do (Kafka Connect, SASL): the session's broker when it is
    one (`--broker apache`), else one started for the tests that ask. Without Java or Maven these tests skip,
    which a CI run counts as a failure (pytest_sessionfinish)."""
    from chesanto_comms.embedded.jars import FetchError

    if kafka.kind == "apache":
        return kafka
    try:
        return apache_kafka_service(service_stack)
    except FetchError as exc:
        pytest.skip(f"Apache Kafka cannot start here: {exc}")


@pytest.fixture(scope="session")
def smtp_sink(service_stack) -> SmtpSink:
    return service_stack.enter_context(SmtpSink(refuse=refuse_recipients))


def database_url(settings_dict: dict) -> str:
    user = quote(settings_dict.get("USER") or "postgres", safe="")
    password = f":{quote(settings_dict['PASSWORD'], safe='')}" if settings_dict.get("PASSWORD") else ""
    host = quote(settings_dict.get("HOST") or "127.0.0.1", safe="")
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    return f"postgres://{user}{password}@{host}{port}/{settings_dict['NAME']}"


@pytest.fixture(scope="session")
def comms_env(django_db_setup, kafka, smtp_sink) -> dict[str, str]:
    """Settings for this test session, applied here and returned as the environment for subprocesses.

    Topic and group names are unique per session, so runs against a shared broker do not meet.
    """
    from django.conf import settings
    from django.db import connection

    from chesanto_comms.kafka import kafka_properties

    run = uuid.uuid4().hex[:8]
    env = {
        "DATABASE_URL": database_url(connection.settings_dict),
        "KAFKA_BOOTSTRAP_SERVERS": kafka.url,
        **kafka.client_env,
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_sink.port),
        "EMAIL_USE_SSL": "false",
        "EMAIL_USE_TLS": "false",
        "EMAIL_TIMEOUT": "10",
        "EMAIL_MAX_RETRIES": "3",
        "EMAIL_RETRY_DELAY": "1",  # retries after 1, 2 and 4 seconds
        "OUTBOX_TOPIC_PREFIX": f"test-{run}.",
        "CONSUMER_GROUP_PREFIX": f"test-{run}-",
        "RELAY_POLL_INTERVAL": "0.5",
        "SECRET_KEY": settings.SECRET_KEY,
        "OUTBOX_SECRET_KEY": comms.OUTBOX_SECRET_KEY,
        "EXAMPLES_ENABLED": "true",
        "DATABASE_CONN_MAX_AGE": "0",
        "REPORTS_STORAGE_DIR": tempfile.mkdtemp(prefix="chesanto-reports-"),
    }
    settings.KAFKA = kafka_properties({**os.environ, **env})
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp_sink.port
    settings.OUTBOX_TOPIC_PREFIX = env["OUTBOX_TOPIC_PREFIX"]
    settings.CONSUMER_GROUP_PREFIX = env["CONSUMER_GROUP_PREFIX"]
    settings.REPORTS_STORAGE_DIR = env["REPORTS_STORAGE_DIR"]
    return env


@pytest.fixture
def unique_email():
    def make(prefix: str = "user", domain: str = "example.com") -> str:
        return f"{prefix}-{uuid.uuid4().hex[:10]}@{domain}"
    return make



@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """pytest-django's, plus: threads of in-process servers (live_server, relays run in threads)
    may still hold a connection when the session ends; end them so the test database can be dropped."""
    yield
    from django.db import connection

    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                       "WHERE datname = current_database() AND pid <> pg_backend_pid()")


def pytest_sessionfinish(session, exitstatus):
    """In CI nothing may skip: a skipped test there means a service the run should have had is missing."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if os.environ.get("CI", "").lower() in ("1", "true", "yes") and skipped and exitstatus == 0:
        reporter.write_line(f"CI: {len(skipped)} test(s) skipped; in CI every test must run", red=True)
        session.exitstatus = 1
