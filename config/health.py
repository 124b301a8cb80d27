"""`/healthz` of the web app: 200 while it can reach its database, 503 otherwise."""
from django.db import DatabaseError, connection
from django.http import JsonResponse


def healthz(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as exc:
        return JsonResponse({"status": "unhealthy", "reason": f"database: {exc}"}, status=503)
    return JsonResponse({"status": "ok"})
