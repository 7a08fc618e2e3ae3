"""Steady search load through gunicorn, in a background thread, while a scenario injects its fault.

Open loop, like bench.loadgen: request n goes out at start + n / rate whatever happened before,
and its latency counts from that time, so a stalled server shows in the latencies rather than
slowing the load down. Every search is a query of its own, so each expected event is known.
"""

import asyncio
import threading
import time
import uuid
from dataclasses import dataclass
from urllib.parse import urlencode

from bench.loadgen import REQUEST_TIMEOUT_SECONDS, _fetch

# A word eight sample books hold: each search finds a page of books, so each event also adds to
# the recommendations (their interest scores are what shows a lost or doubled event there).
WORD = "kafka"
# The unique part of a query is a single word longer than InnoDB's FULLTEXT index takes
# (books.search.MAX_WORD_LENGTH, 84): the search leaves it out and finds WORD's books, while the
# key on the topic and the trend are still the whole, unique query.
UNIQUE_WORD_LENGTH = 90


def query_prefix(scenario: str) -> str:
    return f"{WORD} chaos_{scenario}_"


def make_query(scenario: str, n: int) -> str:
    return f"{WORD} " + f"chaos_{scenario}_{n:06d}_".ljust(UNIQUE_WORD_LENGTH, "x")


@dataclass(frozen=True)
class Sent:
    query: str
    phase: str  # before, during or after the fault
    status: int  # 0: no answer (refused, reset or timed out)
    latency_ms: float


class Load:
    def __init__(self, port: int, scenario: str, *, rate: float, max_seconds: float) -> None:
        self.port, self.scenario, self.rate = port, scenario, rate
        self.limit = int(rate * max_seconds)  # a bound, should a scenario never end
        self.phase = "before"
        self.sent: list[Sent] = []
        self._stopping = False
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)

    def start(self) -> "Load":
        self._thread.start()
        return self

    def stop(self) -> list[Sent]:
        """Stop sending, wait for the answers still outstanding, return every request."""
        self._stopping = True
        self._thread.join()
        return self.sent

    async def _run(self) -> None:
        tasks = []
        start = time.monotonic()
        for n in range(self.limit):
            if self._stopping:
                break
            due = start + n / self.rate
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            tasks.append(asyncio.create_task(self._one(n, due, self.phase)))
        await asyncio.gather(*tasks)

    async def _one(self, n: int, due: float, phase: str) -> None:
        query = make_query(self.scenario, n)
        path = "/?" + urlencode({"q": query})
        try:
            # A new uid cookie per search: its visitor's interests come from this event alone.
            fetch = _fetch("127.0.0.1", self.port, path, uuid.uuid4().hex)
            status = await asyncio.wait_for(fetch, REQUEST_TIMEOUT_SECONDS)
        except (TimeoutError, OSError, ValueError, IndexError):
            status = 0
        self.sent.append(Sent(query, phase, status, (time.monotonic() - due) * 1000))
