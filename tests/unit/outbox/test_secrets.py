import pytest
from cryptography.fernet import Fernet

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
    with pytest.raises(secrets.SecretKeyError, match="must be comma-separated Fernet keys"):
        secrets.seal("x")
