"""The report's charts (matplotlib, SVG): search latency by catalogue size, and peak searches/s
by delivery mode and the baseline. Written next to the report, in its img/ directory."""

from pathlib import Path

from bench.http_load import CONNECTION_MODES
from bench.report import BenchResults, books
from bench.targets import SCALE_P99_MS

NAN = float("nan")


def write_charts(results: BenchResults, directory: Path) -> dict[str, str]:
    """Each chart the results have data for; returns its path relative to the report."""
    import matplotlib

    matplotlib.use("svg")  # no display; and a fixed backend for the same output everywhere
    import matplotlib.pyplot as plt

    # Without a salt and a date, every run would rewrite every id in the SVG: noisy diffs.
    plt.rcParams.update({"svg.hashsalt": "event-books", "font.size": 9})
    directory.mkdir(parents=True, exist_ok=True)
    charts = {}
    for name, draw in (("latency", _latency), ("throughput", _throughput)):
        fig = draw(results, plt)
        if fig is None:
            continue
        path = directory / f"bench-{name}.svg"
        fig.savefig(path, format="svg", bbox_inches="tight", metadata={"Date": None})
        plt.close(fig)
        charts[name] = f"{directory.name}/{path.name}"
    return charts


def _latency(results: BenchResults, plt):
    measured = [e for e in results.scale if e.in_process]
    if not measured:
        return None
    sizes = [e.size for e in measured]
    fig, ax = plt.subplots(figsize=(6.4, 3.6), layout="constrained")
    series = {
        "in process p50": [e.in_process.fulltext.latency.p50 for e in measured],
        "in process p99": [e.in_process.fulltext.latency.p99 for e in measured],
        "Chinese/Japanese p99": [e.in_process.cjk.latency.p99 for e in measured],
        "HTTP p99 at peak (wrk)": [e.http.latency.p99 if e.http else NAN for e in measured],
    }
    for label, values in series.items():
        ax.plot(sizes, values, marker="o", label=label)
    paced = [
        (run.size, run.servers["outbox"].paced.latency.p99)
        for run in results.delivery
        if run.servers["outbox"].paced
    ]
    if paced:
        ax.scatter(
            *zip(*paced, strict=True),
            marker="D",
            color="black",
            zorder=3,
            label="HTTP p99 at 70 % load (outbox)",
        )
    ax.axhline(SCALE_P99_MS, color="grey", linestyle="--", linewidth=1, label="target p99")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks(sizes, [books(s) for s in sizes])
    ax.minorticks_off()
    ax.yaxis.set_major_formatter(plt.matplotlib.ticker.ScalarFormatter())
    ax.set_xlabel("books in the catalogue")
    ax.set_ylabel("ms")
    ax.set_title("Search latency by catalogue size")
    ax.legend(fontsize=7)
    return fig


def _throughput(results: BenchResults, plt):
    if not results.delivery:
        return None
    fig, axes = plt.subplots(
        1,
        len(results.delivery),
        figsize=(3.6 * len(results.delivery), 3.4),
        squeeze=False,
        layout="constrained",
    )
    width = 0.8 / len(CONNECTION_MODES)
    for ax, run in zip(axes[0], results.delivery, strict=True):
        names = list(run.servers)
        for index, connection in enumerate(CONNECTION_MODES):
            ax.bar(
                [i + (index - 0.5) * width for i in range(len(names))],
                [run.servers[name].peak(connection) for name in names],
                width,
                label=connection,
            )
        ax.set_xticks(range(len(names)), names)
        ax.set_title(f"{books(run.size)} books")
        ax.set_ylabel("peak searches/s")
    axes[0][0].legend(fontsize=7)
    fig.suptitle("Peak searches/s by delivery mode, and the baseline")
    return fig
