"""The relay goes straight on while the outbox is backed up, and pauses under a trickle."""

from events.management.commands import relay_events
from events.relay import BatchResult


class ScriptedRelay:
    """Claims the given numbers of rows, one batch after another, all published."""

    batch_size = 10

    def __init__(self, claims: list[int]) -> None:
        self.claims = claims

    def publish_batch(self) -> BatchResult:
        claimed = self.claims.pop(0)
        return BatchResult(claimed=claimed, published=claimed)


def test_full_batches_follow_each_other_and_a_partial_one_brings_a_pause(monkeypatch) -> None:
    command = relay_events.Command()
    command.stopping, command.published = False, 0
    command.relay = ScriptedRelay([10, 10, 3, 10, 1])
    pauses: list[int] = []

    def sleep(seconds: float) -> None:
        pauses.append(command.published)
        command.stopping = not command.relay.claims

    monkeypatch.setattr(relay_events, "purge_published", lambda: 0)
    monkeypatch.setattr(relay_events.time, "sleep", sleep)
    command.loop(poll_interval=0.1)

    # published so far at each pause: after the partial batches only
    assert pauses == [23, 34]
