"""Keys for one benchmark run: nothing a run seals outlives it."""
import secrets

from cryptography.fernet import Fernet


def run_keys() -> dict[str, str]:
    return {"SECRET_KEY": f"bench-{secrets.token_urlsafe(32)}", "OUTBOX_SECRET_KEY": Fernet.generate_key().decode()}
