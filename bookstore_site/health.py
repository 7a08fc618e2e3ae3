"""Probes for a load balancer or an orchestrator: /healthz says the process answers, /readyz
that it can serve (its database answers). Kafka is not required: the site serves without it."""

from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.utils.log import log_response


def healthz(request: HttpRequest) -> JsonResponse:
    """Alive: answers without touching the database, so that an outage restarts nothing."""
    return JsonResponse({"status": "ok"})


def readyz(request: HttpRequest) -> JsonResponse:
    """Ready to serve: the database answers a query."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as exc:
        response = JsonResponse({"status": "unavailable", "database": "unreachable"}, status=503)
        # One WARNING line, and marked logged: Django would log the 503 again at ERROR.
        log_response(
            "Not ready, the database does not answer: %s",
            exc,
            response=response,
            request=request,
            level="warning",
        )
        return response
    return JsonResponse({"status": "ok", "database": "ok"})
