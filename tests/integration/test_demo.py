"""The README's main job, `python -m demo`, on embedded defaults: it delivers and stops everything."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.support.processes import ROOT

pytestmark = pytest.mark.integration

CONFIGURED_SERVICES = ("DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS", "EMAIL_HOST", "SMS_API_KEY", "WHATSAPP_ACCESS_TOKEN", "PUSH_SERVICE_ACCOUNT",
                       "DJANGO_SETTINGS_MODULE")


def test_demo_runs_on_embedded_services_and_stops_what_it_started():
    env = {k: v for k, v in os.environ.items() if k not in CONFIGURED_SERVICES and not k.startswith("KAFKA_")}
    result = subprocess.run([sys.executable, "-m", "demo"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "PostgreSQL: embedded" in output and "Kafka: embedded Tansu broker" in output
    assert output.count("│ SENT") >= 13, output  # 6 emails, 3 SMS, 3 WhatsApp messages and the storekeeper's push
    assert "FAILED" not in output
    assert "WhatsApp: a local server answering as Meta's Cloud API does" in output
    assert "template chesanto_login_code (en): {{1}}=******" in output
    assert "Delivered by the push consumer" in output and "mutua.kioko@example.com" in output
    assert "│ SKIPPED" not in output  # the alert names its one user by id: stores@example.com is not looked up
    assert "exit codes [0, 0, 0, 0, 0, 0]" in output  # the relay, the email, SMS, WhatsApp, push and inbox consumers
    assert "In the in-app inbox of mutua.kioko@example.com (1 unread" in output and "Low stock: Wheat flour" in output
    assert (ROOT / "var" / "demo" / "mail").is_dir() and list((ROOT / "var" / "demo" / "mail").glob("*.html"))
