"""relay, consume and replay refuse to start, saying why, when production secrets are missing."""
import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from chesanto_comms.checks import check_deploy
from chesanto_comms.startup import insecure_secrets, refuse_to_start_unless_ready


@pytest.fixture
def production(settings):
    settings.DEBUG, settings.COMMS_EAGER_DELIVERY = False, []
    settings.SECRET_KEY = "k" * 50
    settings.OUTBOX_SECRET_KEY = Fernet.generate_key().decode()
    return settings


def test_production_with_real_keys_may_start(production):
    assert insecure_secrets() == []


@pytest.mark.parametrize("key", ["django-insecure-abc123", "chesanto-dev-only-insecure-secret-key-change-me",
                                 "change-me-in-production"])
def test_a_development_secret_key_refuses(production, key):
    production.SECRET_KEY = key
    assert insecure_secrets() == ["SECRET_KEY is a development key, public or marked insecure: set a long random one"]


def test_no_outbox_key_refuses_and_names_it(production, monkeypatch):
    monkeypatch.setattr("chesanto_comms.startup.unapplied_migrations", lambda: [])
    production.OUTBOX_SECRET_KEY = ""
    with pytest.raises(ImproperlyConfigured, match=r"^relay refuses to start: OUTBOX_SECRET_KEY is not set"):
        refuse_to_start_unless_ready("relay")
    assert "chesanto.E101" in [m.id for m in check_deploy()]


def test_development_may_start_without_them(production):
    production.DEBUG, production.OUTBOX_SECRET_KEY, production.SECRET_KEY = True, "", "django-insecure-x"
    assert insecure_secrets() == []
