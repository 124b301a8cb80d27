import pytest
from cryptography.fernet import Fernet

from chesanto_comms.conf import SettingError
from outbox import secrets


def test_seal_hides_the_value_and_unseal_restores_it():
    sealed = secrets.seal("482913")
    assert secrets.is_sealed(sealed) and "482913" not in sealed[secrets.SEALED]
    assert secrets.unseal(sealed) == "482913"
    assert secrets.unseal("plain") == "plain"


def test_key_rotation_old_tokens_still_open(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.OUTBOX_SECRET_KEY = old
    sealed = secrets.seal("s3cret")
    settings.OUTBOX_SECRET_KEY = f"{new},{old}"
    assert secrets.unseal(sealed) == "s3cret"


def test_wrong_or_malformed_key_is_a_clear_error(settings):
    sealed = secrets.seal("x")
    settings.OUTBOX_SECRET_KEY = Fernet.generate_key().decode()
    with pytest.raises(secrets.SecretKeyError, match="cannot be opened"):
        secrets.unseal(sealed)
    settings.OUTBOX_SECRET_KEY = "short"
    with pytest.raises(SettingError, match="OUTBOX_SECRET_KEY=<hidden>: not comma-separated Fernet keys"):  # never the key
        secrets.seal("x")


def test_with_debug_off_no_key_is_derived(settings):
    settings.DEBUG, settings.OUTBOX_SECRET_KEY, settings.COMMS_EAGER_DELIVERY = False, "", []
    with pytest.raises(secrets.SecretKeyError, match="OUTBOX_SECRET_KEY is not set, and with DEBUG off"):
        secrets.seal("482913")


def test_in_development_a_key_is_derived_from_secret_key(settings):
    settings.DEBUG, settings.OUTBOX_SECRET_KEY = True, ""
    assert secrets.unseal(secrets.seal("482913")) == "482913"


def test_rotating_secret_key_leaves_sealed_values_readable(settings):
    settings.OUTBOX_SECRET_KEY = Fernet.generate_key().decode()
    sealed = secrets.seal("482913")
    settings.SECRET_KEY = "a-completely-new-secret-key-after-rotation-0123456789"
    assert secrets.unseal(sealed) == "482913"
