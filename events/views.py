from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from events.heartbeats import worker_states
from events.pipeline import pipeline_status


def pipeline(request: HttpRequest) -> HttpResponse:
    """The admin's pipeline page (staff only: wrapped in admin_view by the URLconf)."""
    return TemplateResponse(
        request,
        "admin/events/pipeline.html",
        {
            **admin.site.each_context(request),
            "title": "Event pipeline",
            "pipeline": pipeline_status(),
            "relays": worker_states(
                stall_seconds=settings.EVENTS_WORKER_STALL_SECONDS, kind="relay"
            ),
        },
    )
