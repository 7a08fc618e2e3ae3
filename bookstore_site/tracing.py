"""OpenTelemetry tracing: one trace from a web request, through the outbox and the relay, to
the consumer that applies its event.

The context travels with the event as CloudEvents' distributed-tracing extension: the
`traceparent` (and `tracestate`) extensions, i.e. the `ce_traceparent` / `ce_tracestate` headers.
They hold the context of the event's creation, so the relay publishes them unchanged; its
PRODUCER span and the consumer's CONSUMER span are both children of that context.

With OTEL_EXPORTER_OTLP_ENDPOINT empty `configure()` installs nothing: the API's no-op tracer
stays in place, no SDK is imported and Django gets no middleware, so the hooks below cost a
context lookup and, for an event that carries a traceparent, a non-recording span.
"""

import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

from django.conf import settings
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Span, SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider

    from events.envelope import Event

logger = logging.getLogger(__name__)

# W3C trace context exactly, whatever OTEL_PROPAGATORS says: the wire contract is the
# ce_traceparent / ce_tracestate pair, not whichever propagators the process configured.
_W3C = TraceContextTextMapPropagator()
_TRACER_NAME = "event-books.events"
_TRACEPARENT, _TRACESTATE = "traceparent", "tracestate"
_CARRIED_HEADERS = {f"ce_{_TRACEPARENT}": _TRACEPARENT, f"ce_{_TRACESTATE}": _TRACESTATE}

# A proxy while no provider is installed: it follows the one configure() (or a test) installs
# later, and until then it is the API's no-op tracer.
_tracer = trace.get_tracer(_TRACER_NAME)
_configured = False


def configure() -> None:
    """Export traces over OTLP/HTTP and trace Django's requests, when an endpoint is set.

    Called from the events app's ready(), before any WSGI handler loads the middleware."""
    global _configured
    endpoint = settings.OTEL_EXPORTER_OTLP_ENDPOINT
    if not endpoint or _configured:
        return
    # Imported here so that a process with tracing off never loads the SDK.
    from opentelemetry.instrumentation.django import DjangoInstrumentor

    trace.set_tracer_provider(make_provider(endpoint, settings.OTEL_SERVICE_NAME))
    DjangoInstrumentor().instrument()
    _configured = True
    logger.info("Tracing on: exporting spans to %s", traces_url(endpoint))


def make_provider(endpoint: str, service_name: str) -> "TracerProvider":
    """An SDK provider whose spans go, in batches off the request's thread, to `endpoint`."""
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: service_name}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=traces_url(endpoint))))
    return provider


def traces_url(endpoint: str) -> str:
    """The traces URL under an OTLP/HTTP base endpoint: an exporter given `endpoint=` uses it
    as is, whereas OTEL_EXPORTER_OTLP_ENDPOINT, by the spec, names the collector's base."""
    endpoint = endpoint.rstrip("/")
    return endpoint if endpoint.endswith("/v1/traces") else f"{endpoint}/v1/traces"


def current_traceparent() -> dict[str, str]:
    """The current span's context as W3C headers ("traceparent", and "tracestate" when it is
    not empty); {} when there is no valid span, e.g. in a management command."""
    carrier: dict[str, str] = {}
    _W3C.inject(carrier)
    return carrier


def carried_context(carrier: Mapping[str, str]) -> Context:
    """The context a {"traceparent", "tracestate"} carrier names, or an empty one (a new root)
    when its traceparent is malformed. Never the current context: a relay or a consumer
    handles many events, each a child of its own creator only."""
    return _W3C.extract(carrier, context=Context())


def carrier_of_headers(headers: Iterable[Sequence[str]]) -> dict[str, str]:
    """The trace headers among an outbox row's [name, text] pairs, as a W3C carrier."""
    return {_CARRIED_HEADERS[name]: text for name, text in headers if name in _CARRIED_HEADERS}


def carrier_of_extensions(extensions: Mapping[str, str]) -> dict[str, str]:
    """The trace extensions of a consumed event, as a W3C carrier."""
    return {name: extensions[name] for name in (_TRACEPARENT, _TRACESTATE) if name in extensions}


@contextmanager
def producer_span(headers: Iterable[Sequence[str]], *, destination: str) -> Iterator[Span | None]:
    """A PRODUCER span for publishing one outbox row, when the row carries a traceparent
    (None otherwise): ended on leaving the block, which the relay leaves once the row's
    outcome is known. Not made current: the rows of a batch are sent side by side."""
    pairs = list(headers)
    carrier = carrier_of_headers(pairs)
    if _TRACEPARENT not in carrier:
        yield None
        return
    attributes = _messaging_attributes(destination, "send", dict(pairs))
    span = _tracer.start_span(
        f"send {destination}",
        context=carried_context(carrier),
        kind=SpanKind.PRODUCER,
        attributes=attributes,
    )
    try:
        yield span
    except BaseException as exc:
        mark_failed(span, exc)
        raise
    finally:
        span.end()


@contextmanager
def consumer_span(event: "Event", *, group_id: str, destination: str) -> Iterator[Span | None]:
    """A CONSUMER span for applying one event that carries a traceparent (None otherwise),
    current for the block, so that work done for the event inside joins its trace. A
    malformed traceparent gives a new root span: the event is applied all the same."""
    carrier = carrier_of_extensions(event.extensions)
    if _TRACEPARENT not in carrier:
        yield None
        return
    attributes = _messaging_attributes(
        destination, "process", {"ce_id": event.id, "ce_type": event.type}
    )
    attributes["messaging.consumer.group.name"] = group_id
    span = _tracer.start_span(
        f"process {destination}",
        context=carried_context(carrier),
        kind=SpanKind.CONSUMER,
        attributes=attributes,
    )
    # use_span records a handler's exception on the span and sets its status to ERROR.
    with trace.use_span(span, end_on_exit=True):
        yield span


def mark_failed(span: Span | None, error: BaseException) -> None:
    """Record on `span` that its message was not delivered."""
    if span is None:
        return
    span.record_exception(error)
    span.set_status(Status(StatusCode.ERROR, f"{type(error).__name__}: {error}"))


def _messaging_attributes(
    destination: str, operation: str, headers: Mapping[str, str]
) -> dict[str, str]:
    # OpenTelemetry's messaging and CloudEvents semantic conventions. Not the Kafka key: a
    # search's key is the visitor's query, which does not belong in a tracing backend.
    attributes = {
        "messaging.system": "kafka",
        "messaging.operation.type": operation,
        "messaging.operation.name": operation,
        "messaging.destination.name": destination,
    }
    if "ce_id" in headers:
        attributes["messaging.message.id"] = headers["ce_id"]
        attributes["cloudevents.event_id"] = headers["ce_id"]
    if "ce_type" in headers:
        attributes["cloudevents.event_type"] = headers["ce_type"]
    return attributes
