"""The adoption path, taken as a new user takes it: this project's wheel installed into a fresh
virtualenv, `django-admin startproject config .`, a host app with a model of its own, the README's
"Add to an existing Django project" section followed literally, the host's rows and `emit()` in
one transaction (and one that rolls back), `relay` and `consume email` run by the host's manage.py.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
import textwrap
import uuid
import zipfile
from pathlib import Path

import dj_database_url
import psycopg
import pytest

from tests.support.processes import ROOT, ManagedProcess
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration

README_SECTION = "## Add to an existing Django project"
PRODUCT_PACKAGES = {"outbox", "relay", "scheduling", "consumers", "chesanto_comms"}

HOST_MODEL = '''
from django.db import models


class Order(models.Model):
    customer_email = models.EmailField()
    total = models.DecimalField(max_digits=10, decimal_places=2)
'''

EMIT = '''
from django.db import transaction
from outbox import emit
from shop.models import Order


def order(email):
    order = Order.objects.create(customer_email=email, total="110.00")
    emit("sales.order_confirmed", {
        "order_id": f"ORD-{order.pk}", "customer_email": email, "customer_name": "Duka la Mama",
        "items": [{"product": "White bread 400g", "quantity": "2", "unit_price": "55.00"}], "total": "110.00",
    })
    return order


with transaction.atomic():
    kept = order("{kept}")
try:
    with transaction.atomic():
        order("{rolled_back}")
        raise RuntimeError("the business rule failed: roll it all back")
except RuntimeError:
    pass
print("ORDER", kept.pk, Order.objects.count())
'''


def readme_blocks() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text[text.index(README_SECTION):]
    section = section[:section.index("\n## ", len(README_SECTION))]
    return re.findall(r"```(?:python|bash)\n(.*?)```", section, re.S)


def block_with(blocks: list[str], needle: str) -> str:
    return next(block for block in blocks if needle in block)


def run(*args, cwd: Path, env: dict | None = None) -> str:
    result = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"{args} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """Built from a copy of the files git knows (not ignored), so no stale build/ of the checkout leaks in."""
    source, out = tmp_path_factory.mktemp("source"), tmp_path_factory.mktemp("wheel")
    files = run("git", "ls-files", "--cached", "--others", "--exclude-standard", cwd=ROOT).splitlines()
    for name in files:
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", out, source, cwd=source)
    return next(out.glob("chesanto_communications-*.whl"))


@pytest.fixture(scope="module")
def host_database(postgres):
    server = dj_database_url.parse(postgres.url)
    name = f"host_{uuid.uuid4().hex[:8]}"
    admin = {"host": server["HOST"], "port": server["PORT"] or 5432, "user": server["USER"] or "postgres",
             "password": server["PASSWORD"] or None, "dbname": "postgres", "autocommit": True}
    with psycopg.connect(**admin) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield {**server, "NAME": name}
    with psycopg.connect(**admin) as conn:
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


@pytest.fixture(scope="module")
def host(tmp_path_factory, wheel, host_database, kafka, smtp_sink):
    """A fresh project with the wheel installed, set up by the README section."""
    root = tmp_path_factory.mktemp("host")
    run(sys.executable, "-m", "venv", root / "venv", cwd=root)
    python = root / "venv" / "bin" / "python"
    run(python, "-m", "pip", "install", "--quiet", wheel, cwd=root)
    project = root / "bakery"
    project.mkdir()
    run(root / "venv" / "bin" / "django-admin", "startproject", "config", ".", cwd=project)
    run(python, "manage.py", "startapp", "shop", cwd=project)
    (project / "shop" / "models.py").write_text(HOST_MODEL)

    blocks = readme_blocks()
    settings = project / "config" / "settings.py"
    db = {k: host_database[k] for k in ("NAME", "USER", "PASSWORD", "HOST", "PORT")}
    settings.write_text(settings.read_text() + "\n" + block_with(blocks, "INSTALLED_APPS") + textwrap.dedent(f"""
        INSTALLED_APPS += ["shop"]
        DATABASES = {{"default": {{"ENGINE": "django.db.backends.postgresql", **{db!r}}}}}
        EMAIL_HOST, EMAIL_PORT = "127.0.0.1", {smtp_sink.port}
        DEFAULT_FROM_EMAIL = "Duka Bakery <no-reply@duka.example>"
    """))
    urls = project / "config" / "urls.py"
    url_block = block_with(blocks, 'include("consumers.webhooks.urls")')
    urls.write_text(urls.read_text().replace("from django.urls import path", "from django.urls import include, path")
                    + "\n" + "\n".join(line for line in url_block.splitlines() if not line.startswith("from ")) + "\n")
    run_id = uuid.uuid4().hex[:8]
    env = {"DJANGO_SETTINGS_MODULE": "config.settings", "PYTHONPATH": "",
           "KAFKA_BOOTSTRAP_SERVERS": kafka.url, **kafka.client_env,
           "OUTBOX_TOPIC_PREFIX": f"host-{run_id}.", "CONSUMER_GROUP_PREFIX": f"host-{run_id}-",
           "RELAY_POLL_INTERVAL": "0.5"}
    return {"project": project, "python": python, "env": env, "blocks": blocks}


def manage(host, *args) -> str:
    import os

    return run(host["python"], "manage.py", *args, cwd=host["project"], env={**os.environ, **host["env"]})


def test_the_wheel_holds_the_apps_and_their_templates_only(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    top_level = {name.split("/", 1)[0] for name in names if not name.split("/", 1)[0].endswith(".dist-info")}
    assert top_level == PRODUCT_PACKAGES
    assert "consumers/email/message_templates/emails/sales/order_confirmation.html" in names
    assert "consumers/sms/message_templates/sms/auth/otp.txt" in names
    assert "outbox/templates/admin/outbox/outboxevent/timeline.html" in names
    assert any(name.startswith("consumers/migrations/0001") for name in names)
    for tier in ("", "broker/", "connect/", "debezium/"):  # what chesanto_comms.embedded.jars fetches with
        assert f"chesanto_comms/embedded/maven/{tier}pom.xml" in names


def test_the_host_project_checks_migrates_and_lists_the_commands(host):
    manage(host, "makemigrations", "shop")
    assert "System check identified no issues" in manage(host, "check")
    manage(host, "makemigrations", "--check", "--dry-run")  # nothing to write inside site-packages
    manage(host, "migrate", "--noinput")
    listed = manage(host, "help")
    for command in ("relay", "consume", "replay", "outbox_status", "outbox_requeue", "outbox_republish",
                    "outbox_purge", "scheduler", "dlq_republish", "cleanup", "cleanup_email_logs", "cleanup_sms_logs"):
        assert re.search(rf"^\s+{command}$", listed, re.M), f"{command} not listed by the host's manage.py help"


def test_the_host_emits_in_its_transaction_and_each_email_arrives_once(host, host_database, smtp_sink):
    import os

    run_blocks = block_with(host["blocks"], "manage.py consume email")
    assert "manage.py relay" in run_blocks
    env = {**os.environ, **host["env"]}
    relay = ManagedProcess("relay", env=env, project=host["project"], python=str(host["python"]))
    consumer = ManagedProcess("consume", "email", env=env, project=host["project"], python=str(host["python"]))
    try:
        wait_until(lambda: "consumer started" in consumer.log() and "relay started" in relay.log(), timeout=60,
                   what="the start lines of relay and consume (logged at INFO without any LOGGING set-up)")
        kept, rolled_back = f"kept-{uuid.uuid4().hex[:8]}@duka.example", f"gone-{uuid.uuid4().hex[:8]}@duka.example"
        out = manage(host, "shell", "-c", EMIT.replace("{kept}", kept).replace("{rolled_back}", rolled_back))
        order_pk, orders = re.search(r"ORDER (\d+) (\d+)", out).groups()
        assert orders == "1", "the rolled-back order is not in the host's table"
        received = smtp_sink.wait_for(lambda r: any(kept in m.rcpt_tos for m in r), timeout=90)
        mine = [m for m in received if kept in m.rcpt_tos]
        assert len(mine) == 1
        html = mine[0].body("html")
        assert f"ORD-{order_pk}" in html and "White bread 400g" in html and "<h1" in html
        with psycopg.connect(dbname=host_database["NAME"], host=host_database["HOST"],
                             port=host_database["PORT"] or 5432, user=host_database["USER"] or "postgres",
                             password=host_database["PASSWORD"] or None) as conn:
            wait_until(lambda: conn.execute("SELECT status FROM communications_email_log WHERE recipient = %s",
                                            (kept,)).fetchall() == [("SENT",)], timeout=30, what="the log row SENT")
            assert conn.execute("SELECT count(*) FROM outbox_event WHERE payload->>'customer_email' = %s",
                                (rolled_back,)).fetchone() == (0,)
        assert not any(rolled_back in m.rcpt_tos for m in smtp_sink.received)
    finally:
        codes = {"relay": relay.stop(), "consumer": consumer.stop()}
    assert codes == {"relay": 0, "consumer": 0}, f"{relay.log()}\n{consumer.log()}"
