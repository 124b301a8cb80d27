"""The standalone project's settings (config/settings.py), each read in a fresh process with an
environment of the test's own: secure with DEBUG off, refusing a development SECRET_KEY, and
passing `check --deploy` with the README's production environment."""
from __future__ import annotations

import json
import re
import secrets
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet

from tests.support.processes import ROOT

README = ROOT / "README.md"
DEVELOPMENT_KEYS = ["chesanto-dev-only-insecure-secret-key-change-me", "change-me-in-production",
                    "django-insecure-0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdef", ""]
# NAME=value, where a value may hold <placeholders with spaces>, then an optional comment.
ENV_LINE = re.compile(r"^(?P<name>[A-Z][A-Z0-9_]*)=(?P<value>(?:<[^>]*>|[^\s<])+)(?:\s+#.*)?$")


def production_env() -> dict[str, str]:
    """The README's "Production" block, its <placeholders> filled with secrets of this run."""
    text = README.read_text()
    block = text[text.index("### Production"):]
    block = block[block.index("```bash\n") + len("```bash\n"):]
    block = block[:block.index("```")]
    made = {"SECRET_KEY": secrets.token_urlsafe(50), "OUTBOX_SECRET_KEY": Fernet.generate_key().decode()}
    env = {}
    for line in filter(None, block.splitlines()):
        match = ENV_LINE.match(line)
        assert match, f"not NAME=value in the README's Production block: {line!r}"
        name = match["name"]
        env[name] = re.sub(r"<[^>]*>", lambda _: made.get(name) or secrets.token_urlsafe(12), match["value"])
    return env


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    """A process with exactly `env` (nothing inherited: no DJANGO_SETTINGS_MODULE, no test keys)."""
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def settings_in(env: dict[str, str], *names: str) -> dict:
    code = ("import json, config.settings as s; "
            f"print(json.dumps({{n: getattr(s, n) for n in {list(names)!r}}}))")
    result = run(["-c", code], env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_check_deploy_passes_with_the_documented_production_environment():
    env = production_env()
    assert {"DEBUG", "SECRET_KEY", "OUTBOX_SECRET_KEY", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS",
            "SECURE_PROXY_SSL_HEADER", "KAFKA_SECURITY_PROTOCOL"} <= set(env)
    assert env["DEBUG"] == "false" and env["KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_with_debug_off_a_development_secret_key_is_refused_naming_secret_key():
    env = {**production_env(), "SECRET_KEY": DEVELOPMENT_KEYS[0]}
    result = run(["manage.py", "check", "--deploy"], env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "SECRET_KEY" in result.stderr
    assert "secrets.token_urlsafe" in result.stderr  # says how to make one


@pytest.mark.parametrize("key", DEVELOPMENT_KEYS[1:] + [None], ids=["compose-default", "django-insecure", "empty", "unset"])
def test_every_development_key_is_refused_with_debug_off(key):
    env = {"DEBUG": "false", **({} if key is None else {"SECRET_KEY": key})}
    result = run(["-c", "import config.settings"], env)
    assert result.returncode != 0 and "SECRET_KEY is unset or a development key" in result.stderr


def test_with_debug_on_the_development_key_does():
    assert settings_in({"DEBUG": "true"}, "SECRET_KEY")["SECRET_KEY"] == DEVELOPMENT_KEYS[0]


TLS = ["SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_HSTS_SECONDS",
       "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD", "SECURE_PROXY_SSL_HEADER", "CSRF_TRUSTED_ORIGINS",
       "SECURE_CONTENT_TYPE_NOSNIFF", "X_FRAME_OPTIONS"]


def test_with_debug_off_the_defaults_are_secure():
    values = settings_in({"DEBUG": "false", "SECRET_KEY": secrets.token_urlsafe(50)}, *TLS)
    assert values == {
        "SECURE_SSL_REDIRECT": True, "SESSION_COOKIE_SECURE": True, "CSRF_COOKIE_SECURE": True,
        "SECURE_HSTS_SECONDS": 31536000, "SECURE_HSTS_INCLUDE_SUBDOMAINS": True, "SECURE_HSTS_PRELOAD": False,
        "SECURE_PROXY_SSL_HEADER": None, "CSRF_TRUSTED_ORIGINS": [],
        "SECURE_CONTENT_TYPE_NOSNIFF": True, "X_FRAME_OPTIONS": "DENY",
    }


def test_with_debug_on_they_relax_for_plain_http():
    values = settings_in({"DEBUG": "true"}, *TLS)
    assert (values["SECURE_SSL_REDIRECT"], values["SESSION_COOKIE_SECURE"], values["CSRF_COOKIE_SECURE"],
            values["SECURE_HSTS_SECONDS"], values["SECURE_HSTS_INCLUDE_SUBDOMAINS"]) == (False, False, False, 0, False)


def test_the_environment_sets_each_of_them():
    env = {"DEBUG": "false", "SECRET_KEY": secrets.token_urlsafe(50), "SECURE_SSL_REDIRECT": "false",
           "SESSION_COOKIE_SECURE": "false", "CSRF_COOKIE_SECURE": "false", "SECURE_HSTS_SECONDS": "3600",
           "SECURE_HSTS_INCLUDE_SUBDOMAINS": "false", "SECURE_HSTS_PRELOAD": "true",
           "SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO,https",
           "CSRF_TRUSTED_ORIGINS": "https://comms.example.com,https://admin.example.com"}
    values = settings_in(env, *TLS)
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]  # a tuple, through JSON
    assert values["CSRF_TRUSTED_ORIGINS"] == ["https://comms.example.com", "https://admin.example.com"]
    assert (values["SECURE_SSL_REDIRECT"], values["SESSION_COOKIE_SECURE"], values["CSRF_COOKIE_SECURE"],
            values["SECURE_HSTS_SECONDS"], values["SECURE_HSTS_INCLUDE_SUBDOMAINS"],
            values["SECURE_HSTS_PRELOAD"]) == (False, False, False, 3600, False, True)


def test_a_malformed_proxy_ssl_header_is_refused_by_name():
    result = run(["-c", "import config.settings"], {"DEBUG": "true", "SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto"})
    assert result.returncode != 0 and "SECURE_PROXY_SSL_HEADER='X-Forwarded-Proto'" in result.stderr


def test_the_admins_passwords_are_validated():
    validators = settings_in({"DEBUG": "true"}, "AUTH_PASSWORD_VALIDATORS")["AUTH_PASSWORD_VALIDATORS"]
    assert [v["NAME"].rsplit(".", 1)[1] for v in validators] == [
        "UserAttributeSimilarityValidator", "MinimumLengthValidator", "CommonPasswordValidator", "NumericPasswordValidator"]
