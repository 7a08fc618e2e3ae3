import logging
import signal
import time
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from kafka.errors import KafkaError

from bookstore_site.metrics import forget_this_process, serve_metrics
from events.kafka import credentials_refused

logger = logging.getLogger(__name__)
Client = TypeVar("Client")

MAX_CONNECT_DELAY_SECONDS = 5


class KafkaWorkerCommand(BaseCommand):
    """Base of the long-running Kafka commands: SIGTERM or Ctrl-C asks for a stop, which the
    command honours between two units of work, and the broker may be waited for. Each can serve
    its Prometheus metrics on a port of its own."""

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--metrics-port",
            type=int,
            default=None,
            help="Serve this process's Prometheus metrics on this port at /metrics (default: "
            "none; 0 picks a free port). Readable from METRICS_ALLOWED_IPS or with METRICS_TOKEN.",
        )
        parser.add_argument(
            "--metrics-address",
            default="127.0.0.1",
            help="The address the metrics port listens on (127.0.0.1; 0.0.0.0 in a container).",
        )

    def execute(self, *args, **options):
        try:
            return super().execute(*args, **options)
        finally:
            # Its live gauges (lag, say) leave the multiprocess sums with it.
            forget_this_process()

    def start_metrics(self, *, port: int | None, address: str) -> None:
        if port is None:
            return
        try:
            serve_metrics(port=port, address=address)
        except OSError as exc:
            raise CommandError(f"Cannot serve metrics on {address}:{port}: {exc}") from exc

    def install_stop_handlers(self) -> None:
        self.stopping = False
        signal.signal(signal.SIGTERM, self.on_signal)
        signal.signal(signal.SIGINT, self.on_signal)

    def on_signal(self, signum, frame) -> None:
        self.stopping = True

    def connect(self, factory: Callable[[], Client], *, wait: bool) -> Client | None:
        """A Kafka client from `factory`; with `wait`, retried until Kafka answers or a stop is
        asked for (then None), otherwise a CommandError at once."""
        delay = 1.0
        while True:
            try:
                return factory()
            except KafkaError as exc:
                if refused := credentials_refused():
                    # Waiting would not help: fail at once, saying which settings to check.
                    raise CommandError(refused) from exc
                servers = ",".join(settings.KAFKA_BOOTSTRAP_SERVERS)
                if not wait:
                    raise CommandError(
                        f"Kafka is not reachable at {servers}: {exc}. Is it running "
                        "(`make services`)?"
                    ) from exc
                # Said before honouring a stop, so that a stop during the first attempt still
                # leaves the reason in the log.
                logger.warning("Kafka is not reachable at %s (%s)", servers, exc)
                if self.stopping:
                    return None
                time.sleep(delay)
                delay = min(delay * 2, MAX_CONNECT_DELAY_SECONDS)
