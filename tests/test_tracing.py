"""One trace from a search request, through the outbox and the relay, to the consumer that
applies its event: W3C trace context carried as CloudEvents' ce_traceparent / ce_tracestate.

Spans go to an in-memory exporter installed once per session (the global TracerProvider can be
set only once); Django is instrumented only for the tests that ask for it."""

import dataclasses
import uuid
from collections.abc import Iterator

import pytest
from django.core.management import call_command
from django.test import Client
from kafka.errors import KafkaConnectionError, MessageSizeTooLargeError
from opentelemetry import trace
from opentelemetry.instrumentation.django import DjangoInstrumentor
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from books.services import perform_search
from bookstore_site import tracing
from events.consuming import Consumer
from events.consuming.dedupe import apply_once
from events.delivery import write_to_outbox
from events.envelope import Event
from events.models import OutboxEvent
from events.relay import Relay
from events.types.search_performed import SEARCH_PERFORMED, search_event
from tests.helpers import header_map, read_topic

TRACE_ID = 0x0AF7651916CD43DD8448EB211C80319C
PARENT_ID = 0xB7AD6B7169203331
TRACEPARENT = f"00-{TRACE_ID:032x}-{PARENT_ID:016x}-01"
MALFORMED = "00-not-a-trace-id-01"

tracer = trace.get_tracer(__name__)


# --- Fixtures and helpers ----------------------------------------------------------------------


@pytest.fixture(scope="session")
def span_exporter() -> InMemorySpanExporter:
    """The session's spans, kept in memory; synchronous, so a span is there once it ended."""
    exporter = InMemorySpanExporter()
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):  # tracing.configure() installed none
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return exporter


@pytest.fixture
def spans(span_exporter) -> Iterator[InMemorySpanExporter]:
    span_exporter.clear()
    yield span_exporter
    span_exporter.clear()


@pytest.fixture
def traced_django(spans) -> Iterator[None]:
    """Django's server spans, as configure() gives them with an endpoint set: the middleware
    is added before a test Client loads it, and removed after, for the other tests."""
    instrumentor = DjangoInstrumentor()
    already = instrumentor.is_instrumented_by_opentelemetry
    if not already:
        instrumentor.instrument()
    yield
    if not already:
        instrumentor.uninstrument()


def of_kind(exporter: InMemorySpanExporter, kind: SpanKind) -> list[ReadableSpan]:
    return [span for span in exporter.get_finished_spans() if span.kind == kind]


def trace_id_of(traceparent: str) -> int:
    return int(traceparent.split("-")[1], 16)


def traced(event: Event, traceparent: str) -> Event:
    return dataclasses.replace(event, extensions={**event.extensions, "traceparent": traceparent})


def consume_searches(count: int) -> tuple[list[tuple[Event, trace.SpanContext]], object]:
    """Run a consumer group of its own over KAFKA_TOPIC until `count` records were seen; the
    events its handler got, each with the span current while the handler ran."""
    seen: list[tuple[Event, trace.SpanContext]] = []

    def handler(events: list[Event]) -> None:
        seen.extend((event, trace.get_current_span().get_span_context()) for event in events)

    consumer = Consumer(
        group_id=f"test-tracing-{uuid.uuid4().hex[:8]}", handlers={SEARCH_PERFORMED: handler}
    )
    try:
        stats = consumer.run(max_messages=count, idle_timeout=30)
    finally:
        consumer.close()
    return seen, stats


def describe(span: ReadableSpan) -> str:
    parent = f"{span.parent.span_id:016x}" if span.parent else "none (root)"
    return (
        f"{span.kind.name:<8} {span.name!r:<32} trace {span.context.trace_id:032x} "
        f"span {span.context.span_id:016x} parent {parent}"
    )


# --- The helpers, without services -------------------------------------------------------------


def test_no_span_no_traceparent(spans) -> None:
    assert tracing.current_traceparent() == {}


def test_the_current_span_is_carried_in_w3c_form_without_an_empty_tracestate(spans) -> None:
    with tracer.start_as_current_span("search") as span:
        carrier = tracing.current_traceparent()

    ids = span.get_span_context()
    # Flags 03: sampled, and (W3C trace context level 2) a random trace id.
    flags = f"{ids.trace_flags:02x}"
    assert carrier == {"traceparent": f"00-{ids.trace_id:032x}-{ids.span_id:016x}-{flags}"}
    assert ids.trace_flags.sampled


def test_a_non_empty_tracestate_is_carried_too(spans) -> None:
    incoming = tracing.carried_context({"traceparent": TRACEPARENT, "tracestate": "vendor=42"})
    with tracer.start_as_current_span("search", context=incoming):
        carrier = tracing.current_traceparent()

    assert trace_id_of(carrier["traceparent"]) == TRACE_ID
    assert carrier["tracestate"] == "vendor=42"


def test_a_malformed_traceparent_carries_no_context() -> None:
    for carrier in ({"traceparent": MALFORMED}, {"traceparent": ""}, {}):
        context = tracing.carried_context(carrier)
        assert not trace.get_current_span(context).get_span_context().is_valid


def test_only_the_trace_headers_of_a_row_form_its_carrier() -> None:
    headers = [["ce_id", "1"], ["ce_traceparent", TRACEPARENT], ["ce_tracestate", "a=1"]]

    assert tracing.carrier_of_headers(headers) == {"traceparent": TRACEPARENT, "tracestate": "a=1"}
    assert tracing.carrier_of_extensions({"resultoffset": "0"}) == {}


def test_a_producer_span_is_a_child_of_the_rows_context(spans) -> None:
    headers = [["ce_id", "abc"], ["ce_type", SEARCH_PERFORMED], ["ce_traceparent", TRACEPARENT]]

    with tracing.producer_span(headers, destination="lr-book-searches"):
        pass

    [span] = spans.get_finished_spans()
    assert (span.kind, span.name) == (SpanKind.PRODUCER, "send lr-book-searches")
    assert (span.context.trace_id, span.parent.span_id) == (TRACE_ID, PARENT_ID)
    assert span.parent.is_remote
    assert span.attributes == {
        "messaging.system": "kafka",
        "messaging.operation.type": "send",
        "messaging.operation.name": "send",
        "messaging.destination.name": "lr-book-searches",
        "messaging.message.id": "abc",
        "cloudevents.event_id": "abc",
        "cloudevents.event_type": SEARCH_PERFORMED,
    }


def test_a_row_without_a_traceparent_gets_no_producer_span(spans) -> None:
    with tracing.producer_span([["ce_id", "abc"]], destination="t") as span:
        assert span is None

    assert spans.get_finished_spans() == ()


def test_a_producer_span_left_by_an_exception_is_an_error(spans) -> None:
    with (
        pytest.raises(KafkaConnectionError),
        tracing.producer_span([["ce_traceparent", TRACEPARENT]], destination="t"),
    ):
        raise KafkaConnectionError("no broker")

    [span] = spans.get_finished_spans()
    assert span.status.status_code == StatusCode.ERROR
    assert [event.name for event in span.events] == ["exception"]


def test_a_consumer_span_is_current_and_a_child_of_the_events_context(spans) -> None:
    event = traced(search_event(query="kafka", books=[]), TRACEPARENT)

    with tracing.consumer_span(event, group_id="trend-svr", destination="lr-book-searches") as s:
        assert trace.get_current_span() is s

    [span] = spans.get_finished_spans()
    assert (span.kind, span.name) == (SpanKind.CONSUMER, "process lr-book-searches")
    assert (span.context.trace_id, span.parent.span_id) == (TRACE_ID, PARENT_ID)
    assert span.attributes["messaging.consumer.group.name"] == "trend-svr"
    assert span.attributes["messaging.message.id"] == event.id
    assert span.attributes["messaging.operation.type"] == "process"


def test_a_malformed_traceparent_gives_a_fresh_root_consumer_span(spans) -> None:
    event = traced(search_event(query="kafka", books=[]), MALFORMED)

    with tracing.consumer_span(event, group_id="g", destination="t"):
        pass

    [span] = spans.get_finished_spans()
    assert span.parent is None
    assert span.context.trace_id != TRACE_ID


def test_traces_go_to_the_endpoints_traces_path() -> None:
    assert tracing.traces_url("http://collector:4318") == "http://collector:4318/v1/traces"
    assert tracing.traces_url("http://collector:4318/") == "http://collector:4318/v1/traces"
    assert tracing.traces_url("http://c:4318/v1/traces") == "http://c:4318/v1/traces"


def test_without_an_endpoint_configure_installs_nothing(settings) -> None:
    settings.OTEL_EXPORTER_OTLP_ENDPOINT = ""
    provider, middleware = trace.get_tracer_provider(), list(settings.MIDDLEWARE)

    tracing.configure()

    assert trace.get_tracer_provider() is provider
    assert middleware == settings.MIDDLEWARE
    assert not DjangoInstrumentor().is_instrumented_by_opentelemetry


def test_with_an_endpoint_configure_installs_an_exporting_provider_once(
    settings, monkeypatch
) -> None:
    settings.OTEL_EXPORTER_OTLP_ENDPOINT = "http://collector:4318"
    settings.OTEL_SERVICE_NAME = "books-web"
    installed: list[TracerProvider] = []
    instrumented: list[bool] = []
    # The global provider can be set once per process, and this session's is the test's own.
    monkeypatch.setattr(trace, "set_tracer_provider", installed.append)
    monkeypatch.setattr(DjangoInstrumentor, "instrument", lambda self: instrumented.append(True))
    monkeypatch.setattr(tracing, "_configured", False)

    tracing.configure()
    tracing.configure()

    [provider] = installed
    assert instrumented == [True]
    assert provider.resource.attributes["service.name"] == "books-web"
    [processor] = provider._active_span_processor._span_processors
    assert processor.span_exporter._endpoint == "http://collector:4318/v1/traces"
    provider.shutdown()


# --- The hooks, against MariaDB ----------------------------------------------------------------


def test_an_incoming_traceparent_is_continued_into_the_outbox_row(db, traced_django, spans) -> None:
    Client().get("/", {"q": "kafka"}, HTTP_TRACEPARENT=TRACEPARENT)

    [server] = of_kind(spans, SpanKind.SERVER)
    assert (server.context.trace_id, server.parent.span_id) == (TRACE_ID, PARENT_ID)
    [row] = OutboxEvent.objects.filter(event_type=SEARCH_PERFORMED)
    carried = dict(row.headers)["ce_traceparent"]
    assert carried == f"00-{TRACE_ID:032x}-{server.context.span_id:016x}-01"


def test_without_a_span_no_traceparent_is_written(db, traced_django, spans) -> None:
    # A management command: no request, so no span, although Django is instrumented.
    call_command("generate_books", count=2, seed=11, verbosity=0)
    perform_search(query="kafka", offset=0, limit=5, visitor_id=None)

    rows = list(OutboxEvent.objects.all())
    assert {row.event_type for row in rows} >= {SEARCH_PERFORMED}
    assert len(rows) == 3
    for row in rows:
        assert not any(name.startswith("ce_trace") for name, _ in row.headers)


def test_the_consumer_spans_of_a_run_are_open_while_its_handler_applies_it(db, spans) -> None:
    other = f"00-{TRACE_ID + 1:032x}-{PARENT_ID + 1:016x}-01"
    events = [
        traced(search_event(query="a", books=[]), TRACEPARENT),
        traced(search_event(query="b", books=[]), other),
        traced(search_event(query="c", books=[]), MALFORMED),
        search_event(query="d", books=[]),  # not traced: no span
    ]
    calls: list[tuple[int, int]] = []

    def handler(batch: list[Event]) -> None:
        calls.append((len(batch), len(spans.get_finished_spans())))

    apply_once(events, group_id="g", handlers={SEARCH_PERFORMED: handler})

    assert calls == [(4, 0)]  # one call for the run, while no span has ended yet
    by_event = {s.attributes["messaging.message.id"]: s for s in of_kind(spans, SpanKind.CONSUMER)}
    first, second, malformed = (by_event.pop(event.id) for event in events[:3])
    assert by_event == {}
    # Each a child of its own event's context, not of the span opened before it.
    assert (first.context.trace_id, first.parent.span_id) == (TRACE_ID, PARENT_ID)
    assert (second.context.trace_id, second.parent.span_id) == (TRACE_ID + 1, PARENT_ID + 1)
    assert malformed.parent is None
    spans.clear()
    apply_once(events, group_id="g", handlers={SEARCH_PERFORMED: handler})
    assert len(calls) == 1  # duplicates are not applied again, so not traced again
    assert spans.get_finished_spans() == ()


def test_a_failing_handler_marks_its_consumer_spans_as_errors(db, spans) -> None:
    def handler(batch: list[Event]) -> None:
        raise ValueError("cannot apply")

    with pytest.raises(ValueError, match="cannot apply"):
        apply_once(
            [traced(search_event(query="a", books=[]), TRACEPARENT)],
            group_id="g",
            handlers={SEARCH_PERFORMED: handler},
        )

    [span] = spans.get_finished_spans()
    assert span.status.status_code == StatusCode.ERROR


class FakeFuture:
    def __init__(self, exception: BaseException | None = None) -> None:
        self.exception = exception

    def succeeded(self) -> bool:
        return self.exception is None


class ScriptedProducer:
    """Acknowledges or refuses each send as scripted; an exception in the script is raised by
    send() itself (no broker), a FakeFuture is returned as the send's outcome."""

    def __init__(self, script: list, spans: InMemorySpanExporter) -> None:
        self.script, self.spans = script, spans
        self.ended_before_flush: int | None = None

    def get(self) -> "ScriptedProducer":
        return self

    def send(self, topic: str, **kwargs) -> FakeFuture:
        outcome = self.script.pop(0)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    def flush(self, timeout: float) -> None:
        self.ended_before_flush = len(self.spans.get_finished_spans())

    def discard(self, reason: object) -> None:
        pass


def test_the_relays_producer_spans_end_with_each_rows_outcome(db, spans) -> None:
    traceparents = [f"00-{TRACE_ID:032x}-{PARENT_ID + n:016x}-01" for n in range(4)]
    write_to_outbox([search_event(query="untraced", books=[])])
    for n, traceparent in enumerate(traceparents):
        write_to_outbox([traced(search_event(query=f"q{n}", books=[]), traceparent)])
    producer = ScriptedProducer(
        [
            FakeFuture(),  # untraced, acknowledged
            FakeFuture(),  # acknowledged
            FakeFuture(MessageSizeTooLargeError("too large")),  # refused by Kafka
            KafkaConnectionError("no broker"),  # send() raises: the batch stops here
        ],
        spans,
    )

    result = Relay(producer).publish_batch()

    assert (result.claimed, result.published) == (5, 2)
    assert producer.ended_before_flush == 0  # spans last until the outcome is known
    sent = sorted(of_kind(spans, SpanKind.PRODUCER), key=lambda s: s.parent.span_id)
    assert [s.parent.span_id for s in sent] == [PARENT_ID, PARENT_ID + 1, PARENT_ID + 2]
    assert [s.status.status_code for s in sent] == [
        StatusCode.UNSET,
        StatusCode.ERROR,
        StatusCode.ERROR,
    ]
    assert "MessageSizeTooLargeError" in sent[1].status.description


# --- The whole walk, against MariaDB and Kafka -------------------------------------------------


def test_one_trace_spans_the_search_request_the_relay_and_the_consumer(
    event_topics, catalogue, relay, traced_django, spans, settings
) -> None:
    Client().get("/", {"q": "Murakami"})
    relay.drain()
    [message] = read_topic(settings.KAFKA_TOPIC, 1)
    seen, stats = consume_searches(1)

    [server] = of_kind(spans, SpanKind.SERVER)
    [producer] = of_kind(spans, SpanKind.PRODUCER)  # the catalogue's book.added rows: no span
    [consumer] = of_kind(spans, SpanKind.CONSUMER)
    for span in (server, producer, consumer):
        print(describe(span))
    trace_id = server.context.trace_id
    assert server.parent is None
    assert producer.context.trace_id == consumer.context.trace_id == trace_id
    assert producer.parent.span_id == consumer.parent.span_id == server.context.span_id
    assert producer.attributes["messaging.destination.name"] == settings.KAFKA_TOPIC
    assert consumer.attributes["messaging.destination.name"] == settings.KAFKA_TOPIC
    assert producer.status.status_code == StatusCode.UNSET
    # The message carries the request's context, unchanged by the relay.
    assert trace_id_of(header_map(message)["ce_traceparent"]) == trace_id
    assert (
        header_map(message)["ce_traceparent"]
        == dict(OutboxEvent.objects.get(event_type=SEARCH_PERFORMED).headers)["ce_traceparent"]
    )
    # The consumer's span was the current one while the handler applied the event.
    [(event, current)] = seen
    assert stats.applied == 1
    assert consumer.attributes["messaging.message.id"] == event.id
    assert current.span_id == consumer.context.span_id


def test_a_malformed_traceparent_does_not_fail_the_event(
    transactional_db, topic, relay, spans
) -> None:
    write_to_outbox([traced(search_event(query="kafka", books=[]), MALFORMED)])
    relay.drain()

    seen, stats = consume_searches(1)

    assert (stats.applied, stats.dead_lettered) == (1, 0)
    assert [event.extensions["traceparent"] for event, _ in seen] == [MALFORMED]
    [consumer] = of_kind(spans, SpanKind.CONSUMER)
    assert consumer.parent is None  # a fresh root: the carried context could not be read
