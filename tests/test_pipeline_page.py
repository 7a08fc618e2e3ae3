"""The admin's pipeline page and `check_workers --lag`: the outbox backlog per type, and per
consumer group its lag per partition, workers and dead letters, read from the real MariaDB and
Kafka; with Kafka away the page still answers, saying so."""

import uuid

import pytest
from django.core.management import CommandError, call_command

from events.consuming import Consumer, groups
from events.consuming.groups import ConsumerGroup
from events.pipeline import kafka_state
from events.types.search_performed import SEARCH_PERFORMED
from tests.helpers import fill_outbox
from trends.services import count_searches

PAGE = "/admin/pipeline/"


@pytest.fixture
def lagging_group(event_topics, relay, monkeypatch, transactional_db) -> str:
    """A registered group (the only one) that applied one search, then stopped while three
    more were published: 3 behind."""
    group_id = f"pipeline-{uuid.uuid4().hex[:8]}"
    monkeypatch.setattr(
        groups,
        "_groups",
        {group_id: ConsumerGroup(group_id=group_id, handlers={SEARCH_PERFORMED: count_searches})},
    )
    fill_outbox(1)
    relay.drain()
    consumer = Consumer(group_id=group_id, handlers={SEARCH_PERFORMED: count_searches})
    try:
        consumer.run(max_messages=1, idle_timeout=30)
    finally:
        consumer.close()
    fill_outbox(3)
    relay.drain()
    return group_id


def test_the_pipeline_page_is_for_staff_only(client, django_user_model, db) -> None:
    assert client.get(PAGE).status_code == 302
    user = django_user_model.objects.create_user("visitor", password="pw-visitor-123")
    client.force_login(user)
    assert client.get(PAGE).status_code == 302


def test_the_admin_index_links_to_the_pipeline_page(admin_client) -> None:
    assert PAGE in admin_client.get("/admin/").content.decode()


def test_the_page_shows_the_backlog_per_type_with_links_to_the_rows(
    admin_client, event_topics
) -> None:
    fill_outbox(2)

    page = admin_client.get(PAGE)

    text = page.content.decode()
    assert page.status_code == 200
    row = text[text.index(f">{SEARCH_PERFORMED}</a>") :].split("</tr>")[0]
    assert 'status=pending">2</a>' in row
    assert "/admin/events/outboxevent/?type=" in text


def test_a_stopped_consumers_lag_shows_per_partition_on_the_page(
    admin_client, lagging_group, event_topics
) -> None:
    state = kafka_state()

    page = admin_client.get(PAGE).content.decode()

    lags = state.lags[lagging_group]
    assert sum(lag.lag for lag in lags) == 3
    assert {lag.topic for lag in lags} == {event_topics["KAFKA_TOPIC"]}
    assert len(lags) == 3  # one per partition
    group_box = page[page.index(f'id="group-{lagging_group}"') :]
    assert '<strong class="total-lag">3</strong>' in group_box
    assert f"<code>{event_topics['KAFKA_TOPIC']}.dlq</code> 0" in group_box


def test_check_workers_lists_the_lag_and_fails_past_max_lag(lagging_group, capsys) -> None:
    call_command("check_workers", "--lag")
    listed = capsys.readouterr().out

    with pytest.raises(CommandError, match="Lag above 0"):
        call_command("check_workers", "--max-lag", "0")
    call_command("check_workers", "--max-lag", "3")

    assert f"lag      {lagging_group} " in listed
    assert (
        sum(int(line.split(": ")[1].split()[0]) for line in listed.splitlines() if "lag " in line)
        == 3
    )


def test_with_kafka_unreachable_the_page_says_so_and_still_shows_the_outbox(
    admin_client, settings, event_topics
) -> None:
    fill_outbox(1)
    settings.KAFKA_BOOTSTRAP_SERVERS = ["127.0.0.1:1"]

    page = admin_client.get(PAGE)

    text = page.content.decode()
    assert page.status_code == 200
    assert 'id="kafka-unreachable"' in text
    assert 'status=pending">1</a>' in text
