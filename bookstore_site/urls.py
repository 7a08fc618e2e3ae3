from django.contrib import admin
from django.db import InterfaceError, OperationalError
from django.urls import include, path

from bookstore_site import errors, health, metrics
from bookstore_site.api import api
from events.views import pipeline

admin.site.site_header = "event-books administration"
admin.site.site_title = "event-books admin"

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics.metrics_view, name="metrics"),
    path("admin/pipeline/", admin.site.admin_view(pipeline), name="events_pipeline"),
    path("admin/", admin.site.urls),
    path("api/", api.urls),  # errors.API_PREFIX
    path("privacy/", include("privacy.urls")),
    path("", include("books.urls")),
]

handler500 = errors.server_error
# Database errors leave the API like any view's, so that errors.DatabaseUnavailableMiddleware
# answers them with DEBUG on too.
for database_error in (OperationalError, InterfaceError):
    api.add_exception_handler(database_error, errors.raise_to_django)
