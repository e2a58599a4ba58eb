"""Prometheus metrics and the `GET /metrics` endpoint. With several worker processes
(`PROMETHEUS_MULTIPROC_DIR` set, as `usergraph serve --workers N` does) the values of all workers are
aggregated from that directory."""

from __future__ import annotations

import functools
import os
import re
import secrets
from typing import Any

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client import generate_latest, multiprocess
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

# Operation names come from clients: only GraphQL names, at most this long, and at most this many
# distinct ones per process, so a client cannot blow up the number of time series.
_OPERATION_NAME = re.compile(r"^[_A-Za-z][_0-9A-Za-z]{0,63}$")
MAX_OPERATION_LABELS = 200
_ROUTES = frozenset({"/graphql", "/health", "/metrics"})
_SIGN_IN_FAILURE_REASONS = frozenset({"invalid_credentials", "account_disabled"})
_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

GRAPHQL_OPERATIONS = Counter(
    "usergraph_graphql_operations", "GraphQL operations served, by operation name and outcome.",
    ["operation", "outcome"],
)
GRAPHQL_DURATION = Histogram(
    "usergraph_graphql_request_duration_seconds",
    "Time to answer the HTTP request carrying a GraphQL operation, by operation name and outcome.",
    ["operation", "outcome"], buckets=_BUCKETS,
)
HTTP_REQUESTS = Counter(
    "usergraph_http_requests", "HTTP requests answered, by route and status code.", ["route", "status"]
)
DB_POOL_IN_USE = Gauge(
    "usergraph_db_pool_connections_in_use", "Database connections checked out of the pool.",
    multiprocess_mode="livesum",
)
SIGN_IN_FAILURES = Counter(
    "usergraph_sign_in_failures", "Failed sign-ins, by reason.", ["reason"]
)
RATE_LIMIT_HITS = Counter(
    "usergraph_rate_limit_hits", "Sign-ins refused because a failure limit was reached."
)

_operation_labels: set[str] = set()


def clean_operation_name(name: str | None) -> str:
    """The operation name if it is a GraphQL name of sane length, else "anonymous" or "invalid"."""
    if not name:
        return "anonymous"
    return name if _OPERATION_NAME.match(name) else "invalid"


def operation_label(name: str | None) -> str:
    """A bounded label for a client-chosen operation name."""
    name = clean_operation_name(name)
    if name in ("anonymous", "invalid"):
        return name
    if name not in _operation_labels:
        if len(_operation_labels) >= MAX_OPERATION_LABELS:
            return "other"
        _operation_labels.add(name)
    return name


# Children by label values, looked up once: `labels()` takes a lock and builds a key on every call, and
# these two run for every request. Both label sets are bounded (routes x statuses, MAX_OPERATION_LABELS).
@functools.cache
def _operation_children(label: str, outcome: str) -> tuple[Any, Any]:
    return GRAPHQL_OPERATIONS.labels(label, outcome), GRAPHQL_DURATION.labels(label, outcome)


@functools.cache
def _http_requests_child(route: str, status: int) -> Any:
    return HTTP_REQUESTS.labels(route, str(status))


def record_graphql_operation(name: str | None, outcome: str, seconds: float) -> None:
    operations, duration = _operation_children(operation_label(name), outcome)
    operations.inc()
    duration.observe(seconds)


def record_http_request(path: str, status: int) -> None:
    _http_requests_child(path if path in _ROUTES else "other", status).inc()


def record_sign_in_failure(reason: str = "invalid_credentials") -> None:
    """Count a `signIn` refused after checking the password (INVALID_CREDENTIALS, ACCOUNT_DISABLED);
    one refused by the limiter counts in `record_rate_limit_hit` instead."""
    reason = reason.lower()
    SIGN_IN_FAILURES.labels(reason if reason in _SIGN_IN_FAILURE_REASONS else "other").inc()


def record_rate_limit_hit() -> None:
    """Count a `signIn` refused with RATE_LIMITED."""
    RATE_LIMIT_HITS.inc()


def track_pool(engine: AsyncEngine) -> None:
    """Keep `DB_POOL_IN_USE` up to date from the engine's pool events (exact in every worker, and
    summed across workers, which a scrape-time read of one worker's pool could not be)."""
    target = engine.sync_engine
    event.listen(target, "checkout", lambda *_: DB_POOL_IN_USE.inc())
    event.listen(target, "checkin", lambda *_: DB_POOL_IN_USE.dec())
    # A detached connection leaves the pool's accounting without a check-in.
    event.listen(target, "detach", lambda *_: DB_POOL_IN_USE.dec())


def process_stopped() -> None:
    """Drop this worker's live gauges from the shared directory when it exits."""
    if os.environ.get(MULTIPROC_ENV):
        multiprocess.mark_process_dead(os.getpid())


def registry() -> CollectorRegistry:
    """What a scrape reports: this process's metrics, or every worker's from the shared directory."""
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return REGISTRY


def create_metrics_router(token: str | None) -> APIRouter:
    router = APIRouter()

    @router.get("/metrics", include_in_schema=False)
    async def metrics(request: Request) -> Response:
        if token is not None and not bearer_matches(request.headers.get("authorization"), token):
            return Response("unauthorized\n", status_code=401, headers={"WWW-Authenticate": "Bearer"})
        return Response(generate_latest(registry()), media_type=CONTENT_TYPE_LATEST)

    return router


def bearer_matches(authorization: str | None, token: str) -> bool:
    """Whether an Authorization header carries `Bearer <token>` (compared in constant time)."""
    scheme, _, credentials = (authorization or "").partition(" ")
    return scheme.lower() == "bearer" and secrets.compare_digest(credentials.strip().encode(), token.encode())
