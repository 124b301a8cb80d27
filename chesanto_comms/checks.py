"""System checks (`manage.py check`) for the settings and the apps every process needs.

Each bad setting is reported by name with what it means and how to set it, so a wrong value is
an error at start-up (every management command runs these checks first), never a storm of
dead letters at run time. `check --deploy` adds what is insecure in production.
"""
from __future__ import annotations

from django.apps import apps
from django.core import checks

from chesanto_comms.conf import SettingError, declared
from chesanto_comms.kafka import client_properties

# The apps each app cannot work without (consumers' label is "communications").
REQUIRED_APPS = {
    "relay": ("outbox",),
    "consumers": ("outbox",),
    "scheduling": ("outbox",),
    "consumers.webhooks": ("consumers",),
}
INSECURE_KAFKA_PROTOCOLS = ("plaintext", "ssl")  # ssl encrypts, but anyone who can connect may write


def check_settings(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    errors = []
    for setting in declared().values():
        try:
            setting.resolve()
        except SettingError as exc:
            errors.append(checks.Error(
                str(exc), id="chesanto.E001",
                hint=f"{setting.name}: {setting.doc} (default {setting.default_text}); set it in the Django "
                     f"settings or as the environment variable {setting.name}.",
            ))
    return errors


def check_installed_apps(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    installed = {config.name for config in apps.get_app_configs()}
    return [
        checks.Error(f"{app!r} is in INSTALLED_APPS without {needed!r}", id="chesanto.E002",
                     hint=f"Add {needed!r} to INSTALLED_APPS (README, 'Add to an existing Django project').")
        for app, needs in REQUIRED_APPS.items() if app in installed
        for needed in needs if needed not in installed
    ]


def check_database(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    from django.db import connections

    vendor = connections["default"].vendor
    if vendor != "postgresql":
        return [checks.Error(f"the default database is {vendor}; the outbox needs PostgreSQL",
                             id="chesanto.E003",
                             hint="The relay uses LISTEN/NOTIFY, advisory locks and partial indexes: point "
                                  "DATABASES['default'] at PostgreSQL 13 or newer.")]
    return []


def check_publisher(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """What Debezium's connector (deploy/debezium/outbox-connector.json) cannot do that the settings ask for."""
    from chesanto_comms.conf import comms
    from chesanto_comms.publication import Publisher

    try:
        if comms.OUTBOX_PUBLISHER != Publisher.DEBEZIUM.value:
            return []
        signing, topic_map = comms.OUTBOX_SIGNING_KEY, comms.OUTBOX_TOPIC_MAP
    except SettingError:
        return []  # check_settings names it
    problems = []
    if signing:
        problems.append(checks.Error(
            "OUTBOX_PUBLISHER=debezium with OUTBOX_SIGNING_KEY set: Debezium cannot sign records, so the consumers "
            "would dead-letter every one", id="chesanto.E004",
            hint="Leave OUTBOX_SIGNING_KEY empty and let Kafka's ACLs say who may write (README, 'Security'), "
                 "or publish with the relay (OUTBOX_PUBLISHER=relay)."))
    if topic_map:
        problems.append(checks.Warning(
            f"OUTBOX_PUBLISHER=debezium with OUTBOX_TOPIC_MAP={topic_map}: the connector routes each row to "
            "OUTBOX_TOPIC_PREFIX + domain, where the consumers will not look for the mapped domains",
            id="chesanto.W001",
            hint="Add a RegexRouter transform per mapped domain to the connector's config (docs/relay.md, "
                 "'Publishing with Debezium'), or empty OUTBOX_TOPIC_MAP."))
    return problems


def check_deploy(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    from chesanto_comms.conf import comms

    warnings = []
    if not comms.OUTBOX_SECRET_KEY.strip():
        warnings.append(checks.Error(
            "OUTBOX_SECRET_KEY is not set: secret fields (OTP codes, temporary passwords) would be sealed with a "
            "key derived from SECRET_KEY, and the relay and consumers refuse to start with DEBUG off",
            id="chesanto.E101", hint="Set OUTBOX_SECRET_KEY to a Fernet key: python -c 'from cryptography.fernet "
                                     "import Fernet; print(Fernet.generate_key().decode())'"))
    protocol = client_properties().get("security.protocol", "plaintext").lower()
    if protocol in INSECURE_KAFKA_PROTOCOLS:
        warnings.append(checks.Warning(
            f"Kafka security.protocol is {protocol}: any client that reaches the brokers can write events "
            "the consumers will deliver", id="chesanto.W101",
            hint="Use SASL_SSL (KAFKA_SECURITY_PROTOCOL, KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME, "
                 "KAFKA_SASL_PASSWORD) with ACLs, or sign records (README, 'Who may write to the topics').",
        ))
    if comms.COMMS_EAGER_DELIVERY:
        warnings.append(checks.Warning(
            f"COMMS_EAGER_DELIVERY={comms.COMMS_EAGER_DELIVERY}: emit() sends in-process, before the "
            "transaction commits", id="chesanto.W102", hint="A setting for tests only: leave it empty in production."))
    return warnings


def register() -> None:
    checks.register(check_settings)
    checks.register(check_installed_apps)
    checks.register(check_database)
    checks.register(check_publisher)
    checks.register(check_deploy, checks.Tags.security, deploy=True)
