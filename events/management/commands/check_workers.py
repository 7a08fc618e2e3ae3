from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from events.heartbeats import worker_states


class Command(BaseCommand):
    help = (
        "List the relays and consumers by their heartbeats: alive, stalled (no beat for "
        "EVENTS_WORKER_STALL_SECONDS) or stopped. Fails when one is stalled."
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

    def handle(self, *args, kind, host, alive: bool, stall_seconds, **options) -> None:
        limit = stall_seconds if stall_seconds is not None else settings.EVENTS_WORKER_STALL_SECONDS
        states = worker_states(stall_seconds=limit, kind=kind, host=host)
        for state in states:
            line = (
                f"{state.state:8} {state.worker} (last beat {state.seconds_since_beat:.0f} s ago)"
            )
            style = self.style.SUCCESS if state.state != "stalled" else self.style.ERROR
            self.stdout.write(style(line))
        stalled = [state.worker for state in states if state.state == "stalled"]
        if stalled:
            raise CommandError(f"{len(stalled)} worker(s) stalled: {', '.join(stalled)}")
        if alive and not any(state.state == "alive" for state in states):
            raise CommandError("No worker alive" + (f" of kind {kind}" if kind else "") + ".")
