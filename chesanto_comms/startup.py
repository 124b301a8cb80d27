"""What a long-running command checks and says when it starts."""
from __future__ import annotations

import os
import socket

from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from django.db.backends.signals import connection_created

from chesanto_comms.kafka import client_properties

# Keys that are public (this repository's development default, an old compose default) or
# marked insecure by Django's startproject.
DEVELOPMENT_SECRET_KEYS = ("chesanto-dev-only-insecure-secret-key-change-me", "change-me-in-production")
INSECURE_KEY_PREFIX = "django-insecure-"


def insecure_secrets() -> list[str]:
    """With DEBUG off: what makes this process unsafe to run (empty when nothing does)."""
    from django.conf import settings

    from chesanto_comms.conf import comms

    if settings.DEBUG:
        return []
    problems = []
    if settings.SECRET_KEY in DEVELOPMENT_SECRET_KEYS or settings.SECRET_KEY.startswith(INSECURE_KEY_PREFIX):
        problems.append("SECRET_KEY is a development key, public or marked insecure: set a long random one")
    if not comms.OUTBOX_SECRET_KEY.strip() and not comms.COMMS_EAGER_DELIVERY:
        problems.append("OUTBOX_SECRET_KEY is not set (with DEBUG off no key is derived from SECRET_KEY): set it to "
                        "a Fernet key, python -c 'from cryptography.fernet import Fernet; "
                        "print(Fernet.generate_key().decode())'")
    return problems


def unapplied_migrations(alias: str = "default") -> list[str]:
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connections[alias])
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _ in plan]


def refuse_to_start_unless_ready(command: str) -> None:
    """Raise ImproperlyConfigured, saying each reason, when `command` must not start."""
    problems = insecure_secrets()
    if pending := unapplied_migrations():
        problems.append(f"the database lacks {len(pending)} migration(s) ({', '.join(pending[:5])}): run "
                        "python manage.py migrate")
    if problems:
        raise ImproperlyConfigured(f"{command} refuses to start: " + "; ".join(problems))


def services_summary(alias: str = "default") -> str:
    """`PostgreSQL 127.0.0.1:5432/chesanto, Kafka 127.0.0.1:9092 (PLAINTEXT)`: no credentials."""
    db = connections[alias].settings_dict
    kafka = client_properties()
    return (f"PostgreSQL {db.get('HOST') or 'localhost'}:{db.get('PORT') or 5432}/{db.get('NAME')}, "
            f"Kafka {kafka['bootstrap.servers']} ({kafka.get('security.protocol', 'plaintext').upper()})")


def name_database_connections(role: str) -> str:
    """Make every database connection this process opens from now on say what it is in
    pg_stat_activity's `application_name` (`chesanto-consume email host:pid`); returns the name."""
    name = f"chesanto-{role} {socket.gethostname()}:{os.getpid()}"[:63]

    def named(sender, connection, **kwargs):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('application_name', %s, false)", [name])

    connection_created.connect(named, weak=False, dispatch_uid="chesanto-application-name")
    for alias in connections:  # connections already open (the start-up checks') are named too
        if connections[alias].connection is not None:
            named(None, connections[alias])
    return name
