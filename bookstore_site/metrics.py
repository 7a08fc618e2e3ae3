"""Serving Prometheus metrics: `/metrics` on the site, and a port of its own for each
long-running command (`--metrics-port`). Neither is public: only the addresses in
METRICS_ALLOWED_IPS, or a request bearing METRICS_TOKEN, may read them.

Under gunicorn (and `make run`) several processes write their series to the folder named by
PROMETHEUS_MULTIPROC_DIR; the site's /metrics then sums them all (prometheus_client's
multiprocess mode). A command's own port shows that process's series.
"""

import hmac
import logging
import os
import threading
from collections.abc import Callable, Iterable
from wsgiref.simple_server import WSGIRequestHandler, make_server

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    make_wsgi_app,
    multiprocess,
)
from prometheus_client.exposition import ThreadingWSGIServer
from prometheus_client.registry import Collector

logger = logging.getLogger(__name__)

# Series read from the database when scraped (events.metrics.BacklogCollector), registered by
# the apps that own them.
_scrape_time_collectors: list[Collector] = []


def add_scrape_time_collector(collector: Collector) -> None:
    """Collect `collector` on every scrape of /metrics and of the commands' ports."""
    _scrape_time_collectors.append(collector)
    REGISTRY.register(collector)


def access_allowed(*, remote_addr: str, authorization: str, forwarded: bool = False) -> bool:
    """The bearer token opens the metrics from anywhere; an allowed address only when the
    request did not come through a proxy: behind one on the same host, every visitor's request
    arrives from loopback."""
    token = settings.METRICS_TOKEN
    if token and hmac.compare_digest(authorization.encode(), f"Bearer {token}".encode()):
        return True
    return not forwarded and remote_addr in settings.METRICS_ALLOWED_IPS


# Headers a reverse proxy adds to what it forwards.
_PROXY_HEADERS = ("HTTP_FORWARDED", "HTTP_X_FORWARDED_FOR", "HTTP_X_REAL_IP")


def _through_proxy(meta: dict) -> bool:
    return any(header in meta for header in _PROXY_HEADERS)


def registry_to_serve() -> CollectorRegistry:
    """Every process's series in multiprocess mode, else this process's."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    for collector in _scrape_time_collectors:
        registry.register(collector)
    return registry


def metrics_view(request: HttpRequest) -> HttpResponse:
    if not access_allowed(
        remote_addr=request.META.get("REMOTE_ADDR", ""),
        authorization=request.headers.get("Authorization", ""),
        forwarded=_through_proxy(request.META),
    ):
        # 404 rather than 403: a public visitor learns nothing of what is here.
        return HttpResponse("Not found", status=404, content_type="text/plain")
    return HttpResponse(generate_latest(registry_to_serve()), content_type=CONTENT_TYPE_LATEST)


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """Scrapes every few seconds would drown the worker's own log."""


def serve_metrics(*, port: int, address: str) -> None:
    """Serve this process's series on `address:port` from a daemon thread; raises OSError when
    the port cannot be bound."""
    app = make_wsgi_app(REGISTRY)

    def guarded(environ: dict, start_response: Callable) -> Iterable[bytes]:
        if not access_allowed(
            remote_addr=environ.get("REMOTE_ADDR", ""),
            authorization=environ.get("HTTP_AUTHORIZATION", ""),
            forwarded=_through_proxy(environ),
        ):
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"Not found"]
        return app(environ, start_response)

    server = make_server(address, port, guarded, ThreadingWSGIServer, handler_class=_QuietHandler)
    threading.Thread(target=server.serve_forever, name="metrics", daemon=True).start()
    logger.info("Serving metrics on http://%s:%d/metrics", address, server.server_port)


def forget_this_process() -> None:
    """Drop this process's live gauges from the multiprocess folder as it exits cleanly."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(os.getpid())
