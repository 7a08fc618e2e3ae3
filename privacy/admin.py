from django.contrib import admin
from django.http import HttpRequest

from events.admin import ReadOnlyAdmin
from privacy.models import ForgottenVisitor


@admin.register(ForgottenVisitor)
class ForgottenVisitorAdmin(ReadOnlyAdmin):
    """Who pressed "Forget me", and when: the record that the erasure was done. Not deletable:
    without its row the read models would learn the id again from a rebuild or a late event."""

    list_display = ["visitor_id", "forgotten_at"]
    search_fields = ["=visitor_id"]  # exact: the unique index answers it
    ordering = ["-forgotten_at"]

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
