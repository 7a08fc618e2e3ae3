"""The relay goes straight on while the outbox is backed up, pauses under a trickle, and backs
off while it cannot publish."""

from events import relay as relay_module
from events.relay import MAX_BACKOFF_SECONDS, BatchResult, Relay


class NoHeartbeat:
    """Pacing is pure arithmetic: no database to record heartbeats in."""

    def beat(self) -> None:
        pass

    def stop(self) -> None:
        pass


class ScriptedRelay(Relay):
    """Claims the given numbers of rows, one batch after another; None stands for a batch that
    could not be tried (Kafka unreachable), a negative number for a batch nothing of which
    was acknowledged."""

    def __init__(self, claims: list[int | None]) -> None:
        super().__init__(producer=None, batch_size=10)
        self.claims = claims
        self.heartbeat = NoHeartbeat()

    def tick(self) -> BatchResult | None:
        claimed = self.claims.pop(0)
        if claimed is None:
            return None
        published = max(claimed, 0)
        self.published += published
        return BatchResult(claimed=abs(claimed), published=published)


def run(relay: ScriptedRelay, monkeypatch) -> list[tuple[int, float]]:
    """(published so far, seconds slept) at each pause of the loop."""
    pauses: list[tuple[int, float]] = []

    def sleep(seconds: float) -> None:
        pauses.append((relay.published, seconds))

    monkeypatch.setattr(relay_module.time, "sleep", sleep)
    relay.run(should_stop=lambda: not relay.claims, poll_interval=0.1)
    return pauses


def test_full_batches_follow_each_other_and_a_partial_one_brings_a_pause(monkeypatch) -> None:
    pauses = run(ScriptedRelay([10, 10, 3, 10, 1]), monkeypatch)

    # published so far at each pause: after the partial batches only
    assert [published for published, _ in pauses] == [23, 34]


def test_failing_batches_back_off_up_to_a_cap_and_success_resets_the_pause(monkeypatch) -> None:
    pauses = run(ScriptedRelay([None, -10, None, None, None, None, 3]), monkeypatch)

    delays = [seconds for _, seconds in pauses]
    assert delays[:5] == [0.2, 0.4, 0.8, 1.6, 3.2]
    assert delays[5] == MAX_BACKOFF_SECONDS
    assert delays[6] == 0.1
