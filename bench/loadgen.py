"""An open-loop HTTP load generator at a fixed rate: `python -m bench.loadgen --help`.

wrk is closed-loop: each connection sends its next request only after the previous answer, so
a slow server is offered less load and its queueing never shows in the latencies ("coordinated
omission"). wrk2 fixes that but is not packaged in Debian. This generator sends request i at
start + i / rate whatever happened before, and measures each latency from that scheduled time,
so time spent waiting for a free connection or for the server counts. It runs as its own
process (the stdlib only, no Django) so that it does not share an interpreter with anything
it measures; at the rates it is used for (tens to a few hundred requests/s) it needs a small
fraction of a core.

Requests carry `Connection: close` (each one a visitor of its own, as on the open web),
rotate over --paths-file, and send a `uid` cookie from --visitors-file.
"""

import argparse
import asyncio
import itertools
import json
import time
from pathlib import Path

REQUEST_TIMEOUT_SECONDS = 10


async def _fetch(host: str, port: int, path: str, uid: str) -> int:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(
            f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nCookie: uid={uid}\r\n"
            "Connection: close\r\n\r\n".encode()
        )
        await writer.drain()
        status_line = await reader.readline()
        await reader.read()  # the rest of the response, until the server closes
        return int(status_line.split()[1])
    finally:
        writer.close()


async def run(args: argparse.Namespace) -> dict:
    paths = Path(args.paths_file).read_text().split()
    visitors = Path(args.visitors_file).read_text().split()
    total = int(args.rate * args.seconds)
    slots = asyncio.Semaphore(args.max_outstanding)
    latencies: list[float] = []
    errors = 0

    async def one(due: float, path: str, uid: str) -> None:
        nonlocal errors
        async with slots:
            try:
                status = await asyncio.wait_for(
                    _fetch(args.host, args.port, path, uid), REQUEST_TIMEOUT_SECONDS
                )
            except (TimeoutError, OSError, ValueError, IndexError):
                status = 0
        if 200 <= status < 400:
            latencies.append((time.monotonic() - due) * 1000)
        else:
            errors += 1

    tasks = []
    cycle = itertools.cycle(paths)
    start = time.monotonic() + 0.05
    for index in range(total):
        due = start + index / args.rate
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        uid = visitors[index % len(visitors)]
        tasks.append(asyncio.create_task(one(due, next(cycle), uid)))
    await asyncio.gather(*tasks)
    elapsed = time.monotonic() - start
    return {
        "scheduled": total,
        "completed": len(latencies),
        "errors": errors,
        "seconds": elapsed,
        "achieved_rate": len(latencies) / elapsed if elapsed else 0.0,
        "latencies_ms": latencies,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--paths-file", required=True, help="URL paths, one per line.")
    parser.add_argument("--visitors-file", required=True, help="uid cookies, one per line.")
    parser.add_argument("--rate", type=float, required=True, help="Requests per second.")
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--max-outstanding", type=int, default=256)
    parser.add_argument("--out", required=True, help="Where to write the JSON results.")
    args = parser.parse_args()
    Path(args.out).write_text(json.dumps(asyncio.run(run(args))))


if __name__ == "__main__":
    main()
