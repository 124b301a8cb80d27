"""The ESP's tracking webhook on the standalone project as it runs: `manage.py runserver` with
DJANGO_SETTINGS_MODULE=config.settings and ANYMAIL_WEBHOOK_SECRET in its environment, nothing set
in Django's settings by the test. (tests/integration/webhooks/test_email.py sets `settings.ANYMAIL`
in the test process, which could not show that the environment variable never reached anymail.)"""
from __future__ import annotations

import json
import secrets

import pytest
from django.db import connection
from django.utils import timezone

from tests.conftest import database_url
from tests.integration.webhooks.conftest import basic_auth
from tests.integration.webhooks.test_email import URL, bounce
from tests.support.web import WebApp, standalone_env

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_the_environments_webhook_secret_guards_the_postmark_webhook(email_log):
    credentials = f"postmark-hook:{secrets.token_urlsafe(16)}"
    bounced, forged = email_log(), email_log()
    env = standalone_env(database_url(connection.settings_dict), ANYMAIL_WEBHOOK_SECRET=credentials)
    with WebApp(env) as web:
        def post(row, auth: str | None):
            headers = {"Content-Type": "application/json", **({"Authorization": basic_auth(auth)} if auth else {})}
            return web.request(URL, json.dumps(bounce(row, timezone.now())).encode(), headers)

        status, body = post(bounced, credentials)
        assert status == 200, f"{status} {body}\n{web.log()}"
        wrong = post(forged, f"postmark-hook:{secrets.token_urlsafe(16)}")
        unsigned = post(forged, None)
        log = web.log()
    bounced.refresh_from_db()
    forged.refresh_from_db()
    assert bounced.status == "BOUNCED" and "550 5.1.1" in bounced.error_message
    assert (wrong[0], unsigned[0]) == (400, 400)  # anymail's own refusal of bad basic auth
    assert forged.status == "SENT" and forged.error_message == ""
    assert credentials.split(":")[1] not in log  # the password never reaches a log line
