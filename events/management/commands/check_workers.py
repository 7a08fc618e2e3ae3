from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from kafka.errors import KafkaError

from events.heartbeats import worker_states
from events.pipeline import kafka_state


class Command(BaseCommand):
    help = (
        "List the relays and consumers by their heartbeats: alive, stalled (no beat for "
        "EVENTS_WORKER_STALL_SECONDS) or stopped. Fails when one is stalled. With --lag, also "
        "each consumer group's lag per partition, from Kafka."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--kind", choices=["relay", "consumer"], help="Only this kind.")
        parser.add_argument("--host", help="Only the workers on this host (e.g. a container).")
        parser.add_argument(
            "--alive",
            action="store_true",
            help="Also fail unless at least one of the listed workers is alive (a health check).",
        )
        parser.add_argument(
            "--stall-seconds",
            type=float,
            default=None,
            help="Seconds without a beat that make a worker stalled "
            "(default: EVENTS_WORKER_STALL_SECONDS).",
        )

        parser.add_argument(
            "--lag",
            action="store_true",
            help="Also list each consumer group's lag per partition (asks Kafka).",
        )
        parser.add_argument(
            "--max-lag",
            type=int,
            default=None,
            help="Fail when a group is further behind than this many records on a partition, "
            "or when Kafka cannot tell (implies --lag).",
        )

    def handle(
        self, *args, kind, host, alive: bool, stall_seconds, lag: bool, max_lag, **options
    ) -> None:
        limit = stall_seconds if stall_seconds is not None else settings.EVENTS_WORKER_STALL_SECONDS
        states = worker_states(stall_seconds=limit, kind=kind, host=host)
        for state in states:
            line = (
                f"{state.state:8} {state.worker} (last beat {state.seconds_since_beat:.0f} s ago)"
            )
            style = self.style.SUCCESS if state.state != "stalled" else self.style.ERROR
            self.stdout.write(style(line))
        behind = self.report_lag(max_lag) if lag or max_lag is not None else []
        stalled = [state.worker for state in states if state.state == "stalled"]
        if stalled:
            raise CommandError(f"{len(stalled)} worker(s) stalled: {', '.join(stalled)}")
        if alive and not any(state.state == "alive" for state in states):
            raise CommandError("No worker alive" + (f" of kind {kind}" if kind else "") + ".")
        if behind:
            raise CommandError(f"Lag above {max_lag} on {', '.join(behind)}")

    def report_lag(self, max_lag: int | None) -> list[str]:
        """Print each group's lag per partition; the partitions past `max_lag`."""
        try:
            state = kafka_state()
        except KafkaError as exc:
            if max_lag is not None:
                raise CommandError(f"Kafka unreachable, lag unknown: {exc}") from exc
            self.stdout.write(self.style.WARNING(f"Kafka unreachable, lag unknown: {exc}"))
            return []
        behind = []
        for group, lags in state.lags.items():
            for lag in lags:
                late = max_lag is not None and lag.lag > max_lag
                where = f"{group} {lag.topic}/{lag.partition}"
                style = self.style.ERROR if late else self.style.SUCCESS
                self.stdout.write(style(f"lag      {where}: {lag.lag} (end {lag.end})"))
                if late:
                    behind.append(f"{where} ({lag.lag})")
        for dlq, size in state.dead_letters.items():
            self.stdout.write(f"dlq      {dlq}: {size}")
        return behind
