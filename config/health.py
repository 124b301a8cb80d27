"""`/healthz` of the web app: 200 while it can reach its database, 503 otherwise.

Anyone may call it (a load balancer, a container's health check), so it says only *which*
dependency is down: `{"status": "unavailable", "down": ["database"]}`. Why (the host, the port,
the server's FATAL text) goes to the log, for whoever runs it.
"""
from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import DatabaseError, connection
from django.http import JsonResponse

log = logging.getLogger(__name__)


def _database() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as exc:
        log.error("healthz: the database is unreachable: %s", str(exc).strip() or type(exc).__name__)
        return False
    return True


DEPENDENCIES: dict[str, Callable[[], bool]] = {"database": _database}  # name -> whether it answers


def healthz(request):
    down = [name for name, answers in DEPENDENCIES.items() if not answers()]
    if down:
        return JsonResponse({"status": "unavailable", "down": down}, status=503)
    return JsonResponse({"status": "ok"})
