"""`/metrics` on a port of its own (`METRICS_PORT`), answered by the process `usergraph serve` starts in.

One listener, in a thread of that process, whatever the number of workers: with `--workers N` it is the
supervisor, which serves no requests itself and reads every worker's metrics from the shared
multiprocess directory (so a scrape sums them all, and survives a worker's restart); with one worker it
is the worker, and reports its own registry. Workers never bind the port, so none races another for it.
`METRICS_TOKEN`, when set, is required here as on the API port.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from api import metrics


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True  # a slow scraper never holds up the stop


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the overridden signature
        pass  # one stderr line per scrape would drown the JSON log


def metrics_app(token: str | None):
    """A WSGI app answering `GET /metrics` (and 404 elsewhere)."""

    def app(environ: dict[str, Any], start_response) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != "/metrics":
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found\n"]
        if token is not None and not metrics.bearer_matches(environ.get("HTTP_AUTHORIZATION"), token):
            start_response("401 Unauthorized", [("Content-Type", "text/plain"), ("WWW-Authenticate", "Bearer")])
            return [b"unauthorized\n"]
        start_response("200 OK", [("Content-Type", CONTENT_TYPE_LATEST)])
        return [generate_latest(metrics.registry())]

    return app


def start_metrics_port(host: str, port: int, token: str | None) -> Callable[[], None]:
    """Serve `/metrics` on `host:port` from a background thread; returns the function that stops it."""
    family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    server_class = type("MetricsServer", (_ThreadingServer,), {"address_family": family})
    server = make_server(host, port, metrics_app(token), server_class, handler_class=_QuietHandler)
    threading.Thread(target=server.serve_forever, name="metrics-port", daemon=True).start()

    def stop() -> None:
        server.shutdown()
        server.server_close()

    return stop
