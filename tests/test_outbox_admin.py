import datetime

from django.utils import timezone

from events.checks import check_outbox_backlog
from events.delivery import write_to_outbox
from events.models import OutboxEvent
from events.registry import event_types
from events.types.book_changes import BOOK_CHANGED, book_event
from events.types.search_performed import search_event
from tests.helpers import EMMA

CHANGELIST = "/admin/events/outboxevent/"


def make_rows() -> dict[str, OutboxEvent]:
    rows = {name: write_to_outbox([search_event(query=name, books=[])])[0] for name in "abc"}
    OutboxEvent.objects.filter(pk=rows["a"].pk).update(published_at=timezone.now())
    OutboxEvent.objects.filter(pk=rows["b"].pk).update(
        attempts=3,
        last_error="KafkaTimeoutError: no ack in time",
        next_attempt_at=timezone.now() + datetime.timedelta(minutes=5),
    )
    return rows


def test_outbox_changelist_summarises_the_backlog(admin_client) -> None:
    make_rows()

    response = admin_client.get(CHANGELIST)

    summary = response.context["summary"]
    assert (summary.pending, summary.failing) == (2, 1)
    assert summary.last_error == "KafkaTimeoutError: no ack in time"
    assert summary.oldest_pending_seconds >= 0
    assert "2</strong> pending" in response.text


def test_status_filter_lists_failing_rows(admin_client) -> None:
    rows = make_rows()

    response = admin_client.get(CHANGELIST, {"status": "failing"})

    assert [row.pk for row in response.context["cl"].result_list] == [rows["b"].pk]


def test_retry_now_makes_failing_rows_due_at_once(admin_client) -> None:
    rows = make_rows()

    admin_client.post(
        CHANGELIST,
        {"action": "retry_selected_now", "_selected_action": [r.pk for r in rows.values()]},
    )

    assert OutboxEvent.objects.due().count() == 2
    assert OutboxEvent.objects.get(pk=rows["a"].pk).status == "published"


def test_old_backlog_is_a_warning_of_the_database_checks(db, settings) -> None:
    write_to_outbox([search_event(query="late", books=[])])[0]
    OutboxEvent.objects.update(created_at=timezone.now() - datetime.timedelta(hours=1))
    settings.EVENTS_BACKLOG_WARNING_SECONDS = 60

    [warning] = check_outbox_backlog(None, databases=["default"])

    assert warning.id == "events.W001"
    assert "relay_events" in warning.hint


def test_fresh_backlog_raises_no_warning(db) -> None:
    write_to_outbox([search_event(query="now", books=[])])[0]

    assert check_outbox_backlog(None, databases=["default"]) == []


def test_outbox_cannot_be_edited_in_the_admin(admin_client) -> None:
    row = write_to_outbox([search_event(query="x", books=[])])[0]

    assert admin_client.get(f"{CHANGELIST}add/").status_code == 403
    response = admin_client.post(f"{CHANGELIST}{row.pk}/change/", {"topic": "other"})
    assert response.status_code == 403
    assert OutboxEvent.objects.get(pk=row.pk).topic == row.topic


def test_each_row_shows_its_event_type_and_the_type_filter_lists_only_that_type(
    admin_client,
) -> None:
    make_rows()
    [changed] = write_to_outbox([book_event(BOOK_CHANGED, {**EMMA, "id": 5})])

    everything = admin_client.get(CHANGELIST)
    only_changes = admin_client.get(CHANGELIST, {"type": BOOK_CHANGED})

    assert '<td class="field-short_type">search.performed.v1</td>' in everything.text
    assert '<td class="field-short_type">book.changed.v1</td>' in everything.text
    assert [row.pk for row in only_changes.context["cl"].result_list] == [changed.pk]
    # The filter offers every registered type, without asking the table.
    cl = only_changes.context["cl"]
    offered = [choice["display"] for choice in cl.filter_specs[1].choices(cl)]
    assert {event_type.name for event_type in event_types()} <= set(offered)


def test_the_bulk_delete_deletes_published_rows_and_keeps_unpublished_ones(admin_client) -> None:
    rows = make_rows()

    response = admin_client.post(
        CHANGELIST,
        {"action": "delete_selected_published", "_selected_action": [r.pk for r in rows.values()]},
        follow=True,
    )

    assert set(OutboxEvent.objects.values_list("pk", flat=True)) == {rows["b"].pk, rows["c"].pk}
    assert "1 published event(s) deleted; 2 unpublished kept" in response.text
    offered = [value for value, _ in response.context["action_form"].fields["action"].choices]
    assert "delete_selected_published" in offered
    assert "delete_selected" not in offered


def test_an_unpublished_row_cannot_be_deleted_from_its_page_a_published_one_can(
    admin_client,
) -> None:
    rows = make_rows()

    assert admin_client.get(f"{CHANGELIST}{rows['c'].pk}/delete/").status_code == 403
    assert (
        admin_client.post(f"{CHANGELIST}{rows['c'].pk}/delete/", {"post": "yes"}).status_code == 403
    )
    assert (
        admin_client.post(f"{CHANGELIST}{rows['a'].pk}/delete/", {"post": "yes"}).status_code == 302
    )
    assert set(OutboxEvent.objects.values_list("pk", flat=True)) == {rows["b"].pk, rows["c"].pk}


def test_long_keys_and_errors_are_cut_short_so_the_list_fits_the_screen(admin_client) -> None:
    [row] = write_to_outbox([search_event(query="q" * 1000, books=[])])
    OutboxEvent.objects.filter(pk=row.pk).update(attempts=1, last_error="E" * 2000)

    response = admin_client.get(CHANGELIST)

    assert f'<td class="field-message_key">{"q" * 29}…</td>' in response.text
    assert f'<td class="field-error">{"E" * 23}…</td>' in response.text
    assert '<td class="field-state">failing (1)</td>' in response.text
