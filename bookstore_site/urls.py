from django.contrib import admin
from django.urls import include, path

from bookstore_site.api import api

admin.site.site_header = "event-books administration"
admin.site.site_title = "event-books admin"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("", include("books.urls")),
]
