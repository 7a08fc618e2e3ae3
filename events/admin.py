import datetime

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.text import Truncator

from bookstore_site.paginators import CappedCountPaginator
from events.models import OutboxEvent, WorkerHeartbeat
from events.registry import event_types
from events.relay import retry_now
from events.selectors import outbox_summary

# Every registered type's name starts so (events/types/); the list shows the rest.
TYPE_PREFIX = "com.event-books."


def _short_time(value: datetime.datetime | None) -> str:
    return timezone.localtime(value).strftime("%m-%d %H:%M:%S") if value else "-"


class StatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("pending", "Pending"), ("failing", "Failing"), ("published", "Published")]

    def queryset(self, request, queryset: QuerySet[OutboxEvent]):
        if self.value() in ("pending", "failing", "published"):
            return getattr(queryset, self.value())()
        return queryset


class EventTypeFilter(admin.SimpleListFilter):
    """The registered types, without a DISTINCT over a table that may hold millions of rows."""

    title = "event type"
    parameter_name = "type"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [(event_type.name, event_type.name) for event_type in event_types()]

    def queryset(self, request: HttpRequest, queryset: QuerySet[OutboxEvent]) -> QuerySet:
        return queryset.filter(event_type=self.value()) if self.value() else queryset


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows a process writes; the admin shows them and changes none by hand."""

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(OutboxEvent)
class OutboxEventAdmin(ReadOnlyAdmin):
    """Read-only: rows are written with the changes they announce and published by
    `manage.py relay_events`."""

    # Short cells, so that the list fits a 1,280 px screen beside its filters: a key (a query)
    # may be a kilobyte and an error a traceback's last line; the row's page shows them whole.
    list_display = ["id", "short_type", "message_key", "state", "created", "error"]
    list_filter = [StatusFilter, EventTypeFilter, "created_at"]
    ordering = ["-id"]
    actions = ["retry_selected_now", "delete_selected_published"]
    # No date hierarchy (a DISTINCT over every row) and no full COUNT(*): the outbox keeps
    # every published row until retention deletes it.
    paginator = CappedCountPaginator
    show_full_result_count = False
    change_list_template = "admin/events/outboxevent/change_list.html"

    @admin.display(description="type", ordering="event_type")
    def short_type(self, event: OutboxEvent) -> str:
        return event.event_type.removeprefix(TYPE_PREFIX)

    @admin.display(description="key")
    def message_key(self, event: OutboxEvent) -> str:
        return Truncator(bytes(event.key).decode(errors="replace")).chars(30)

    @admin.display(description="created", ordering="created_at")
    def created(self, event: OutboxEvent) -> str:
        return _short_time(event.created_at)

    @admin.display(description="status (attempts)", ordering="published_at")
    def state(self, event: OutboxEvent) -> str:
        # The attempts only where they say something: a failing row's tries so far.
        return f"failing ({event.attempts})" if event.status == "failing" else event.status

    @admin.display(description="last error")
    def error(self, event: OutboxEvent) -> str:
        return Truncator(event.last_error).chars(24)

    def has_retry_permission(self, request: HttpRequest) -> bool:
        # Rows are never edited by hand, but making them due again is a change.
        return request.user.has_perm("events.change_outboxevent")

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(
            request, {**(extra_context or {}), "summary": outbox_summary()}
        )

    def get_actions(self, request: HttpRequest) -> dict:
        # Django's "delete selected" would delete unpublished rows too: events lost for good.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_delete_permission(self, request: HttpRequest, obj: OutboxEvent | None = None) -> bool:
        """Only a published row may go: an unpublished one is an event not yet on Kafka."""
        if obj is not None and obj.published_at is None:
            return False
        return super().has_delete_permission(request, obj)

    @admin.action(description="Delete the selected published events", permissions=["delete"])
    def delete_selected_published(
        self, request: HttpRequest, queryset: QuerySet[OutboxEvent]
    ) -> None:
        deleted, _ = queryset.published().delete()
        kept = queryset.count()
        self.message_user(
            request,
            f"{deleted} published event(s) deleted"
            + (f"; {kept} unpublished kept: they are still to be published." if kept else "."),
            messages.SUCCESS,
        )

    @admin.action(description="Retry the selected unpublished events now", permissions=["retry"])
    def retry_selected_now(self, request: HttpRequest, queryset: QuerySet[OutboxEvent]) -> None:
        count = retry_now(queryset)
        self.message_user(
            request,
            f"{count} event(s) will be published on the relay's next pass.",
            messages.SUCCESS,
        )


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(ReadOnlyAdmin):
    """The relays' and consumers' latest beats; read-only, written by their loops."""

    list_display = ["worker", "kind", "name", "host", "pid", "started_at", "beat_at", "stopped_at"]
    list_filter = ["kind", "name"]
    ordering = ["kind", "name", "worker"]
