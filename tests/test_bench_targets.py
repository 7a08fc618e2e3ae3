"""The benchmark's targets and report from made-up results: no measuring, no services used."""

import datetime

from bench.charts import write_charts
from bench.config import QUICK
from bench.delivery import DeliveryResult, ServerResult
from bench.http_load import LoadResult
from bench.memory import ProcessMemory
from bench.relay import RelayResult
from bench.report import BenchResults, render_markdown
from bench.stats import Latency
from bench.targets import evaluate, event_cost, memory


def _load(throughput: float) -> LoadResult:
    return LoadResult(
        requests=100, throughput=throughput, latency=Latency(100, 5.0, 20.0, 40.0), errors=0
    )


def _results(tmp_path, *, outbox_peak: float, relay_rss: list[float]) -> BenchResults:
    results = BenchResults(
        plan=QUICK, run_id="t", command="python -m bench", workdir=tmp_path,
        started=datetime.datetime(2026, 1, 1),
    )  # fmt: skip
    peaks = {"off": 100.0, "outbox": outbox_peak, "direct": 99.0, "baseline": 50.0}
    servers = {
        name: ServerResult({"keep-alive": [_load(peak)], "close": [_load(peak)]}, None)
        for name, peak in peaks.items()
    }
    results.delivery.append(DeliveryResult(size=10_000, paced_rate=70.0, servers=servers))
    # 4,000 events between the 1st and 5th second; the quarter-way sample is at 2 s.
    samples = [(float(second), mb) for second, mb in enumerate(relay_rss)]
    results.relay = RelayResult(
        events=4000, published=4000, on_topic=4000, wall_seconds=5.0, steady_rate=1000.0,
        batch_size=500, memory=ProcessMemory("relay", 4000, samples, work=(1.0, 5.0)),
    )  # fmt: skip
    return results


def test_event_cost_passes_at_95_percent_of_off_and_says_how_far_off_it_is(tmp_path):
    assert event_cost(_results(tmp_path, outbox_peak=96.0, relay_rss=[])).passed is True
    target = event_cost(_results(tmp_path, outbox_peak=90.0, relay_rss=[]))
    assert target.passed is False
    assert target.gap == "outbox keep-alive 5 points"


def test_memory_extrapolates_growth_to_a_million_events_and_ignores_a_fall(tmp_path):
    growing = memory(_results(tmp_path, outbox_peak=100.0, relay_rss=[50, 60, 60, 60, 60, 60.3]))
    # +0.3 MB over the last 3,000 of 4,000 events is +100 MB over a million.
    assert growing.passed is False
    assert "relay +0.3 MB over 3,000 events (→ +100.0 MB)" in growing.measured
    assert growing.scope == "extrapolated linearly"
    falling = memory(_results(tmp_path, outbox_peak=100.0, relay_rss=[50, 60, 60, 60, 60, 55]))
    assert falling.passed is True


def test_the_report_renders_every_target_and_links_its_charts(tmp_path):
    results = _results(tmp_path, outbox_peak=96.0, relay_rss=[50, 60, 60, 60, 60, 60])
    targets = evaluate(results)
    charts = write_charts(results, tmp_path / "img")
    text = render_markdown(results, targets, charts)
    for target in targets:
        assert f"| {target.name} | {target.measured} | {target.status} |" in text
    assert "![Peak searches/s by delivery mode](img/bench-throughput.svg)" in text
    assert (tmp_path / "img" / "bench-throughput.svg").read_text().startswith("<?xml")
