"""What a long-running command says when it starts: where it connects to."""
from __future__ import annotations

from django.db import connections

from chesanto_comms.kafka import client_properties


def services_summary(alias: str = "default") -> str:
    """`PostgreSQL 127.0.0.1:5432/chesanto, Kafka 127.0.0.1:9092 (PLAINTEXT)`: no credentials."""
    db = connections[alias].settings_dict
    kafka = client_properties()
    return (f"PostgreSQL {db.get('HOST') or 'localhost'}:{db.get('PORT') or 5432}/{db.get('NAME')}, "
            f"Kafka {kafka['bootstrap.servers']} ({kafka.get('security.protocol', 'plaintext').upper()})")
