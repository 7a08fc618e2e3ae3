import logging
import signal
import time
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from kafka.errors import KafkaError

from events.kafka import credentials_refused

logger = logging.getLogger(__name__)
Client = TypeVar("Client")

MAX_CONNECT_DELAY_SECONDS = 5


class KafkaWorkerCommand(BaseCommand):
    """Base of the long-running Kafka commands: SIGTERM or Ctrl-C asks for a stop, which the
    command honours between two units of work, and the broker may be waited for."""

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
