"""`/healthz` of the standalone web app, run as a real process whose database goes away: anyone may
call it, so it names the dependency that is down and nothing more; the details go to its log."""
from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from django.db import connection

from tests.support.tcp_proxy import TcpProxy
from tests.support.waiting import wait_until
from tests.support.web import WebApp, standalone_env

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def proxy_to_the_database() -> TcpProxy:
    db = connection.settings_dict  # the test database
    host, port = db.get("HOST") or "127.0.0.1", int(db.get("PORT") or 5432)
    if host.startswith("/"):  # a unix socket directory, as PostgreSQL names its socket in it
        return TcpProxy(port, target_unix=f"{host}/.s.PGSQL.{port}")
    return TcpProxy(port, target_host=host)


def test_healthz_names_the_database_when_it_is_down_and_no_detail(db):
    db_settings = connection.settings_dict
    with proxy_to_the_database() as proxy:
        password = f":{quote(db_settings['PASSWORD'], safe='')}" if db_settings.get("PASSWORD") else ""
        url = f"postgres://{quote(db_settings['USER'] or 'postgres', safe='')}{password}@{proxy.address}/{db_settings['NAME']}"
        with WebApp(standalone_env(url)) as web:
            assert web.get("/healthz") == (200, '{"status": "ok"}')

            proxy.cut()
            status, body = web.get("/healthz")
            assert (status, json.loads(body)) == (503, {"status": "unavailable", "down": ["database"]})
            for detail in (str(proxy.port), "127.0.0.1", db_settings["NAME"], "FATAL", "refused", "connection"):
                assert detail not in body
            logged = wait_until(lambda: "healthz: the database is unreachable" in web.log() and web.log(),
                                what="the reason in the web app's log")
            assert str(proxy.port) in logged  # whoever reads the log learns where it tried

            proxy.restore()
            assert web.get("/healthz") == (200, '{"status": "ok"}')
