"""`usergraph serve` and `usergraph migrate`: wait for the database, migrate once, then start uvicorn."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager

from api.cli.errors import CommandError, first_line
from api.settings import Settings

log = logging.getLogger("usergraph")


def check_database_url(settings: Settings) -> None:
    """Refuse a malformed DATABASE_URL or DIRECT_URL before anything connects (DatabaseURLError)."""
    from db.engine import database_config

    database_config(settings)
    database_config(settings, url=settings.migration_url)


_RETRY_LOG_EVERY = 5.0  # seconds between "not reachable yet" lines


async def _wait_for_database(settings: Settings) -> None:
    """Retry until the database answers or STARTUP_TIMEOUT passes; a refusal that cannot heal ends at once."""
    from db.engine import Database, cannot_heal

    database = Database.from_settings(settings, url=settings.migration_url)
    started = time.monotonic()
    deadline, next_log = started + settings.startup_timeout, started
    try:
        while True:
            try:
                await database.ping(settings.connect_timeout)
                return
            except Exception as error:  # noqa: BLE001 - any failure to answer may be worth a retry
                reason = first_line(error)
                if cannot_heal(error):
                    raise CommandError(f"database refused the connection: {reason}") from None
                now = time.monotonic()
                if now >= deadline:
                    raise CommandError(
                        f"database not reachable after {settings.startup_timeout:g}s: {reason}"
                    ) from None
                if now >= next_log:
                    log.warning("database not reachable yet after %.0fs of %gs (%s); retrying",
                                now - started, settings.startup_timeout, reason)
                    next_log = now + _RETRY_LOG_EVERY
                await asyncio.sleep(1)
    finally:
        await database.dispose()


def check_secret_key(settings: Settings) -> None:
    """Refuse to start without SECRET_KEY in production; in development make the key file now, once."""
    from api.secret_key import SecretKeyError, secret_keys

    try:
        secret_keys(settings)
    except SecretKeyError as error:
        raise CommandError(str(error)) from None


def migrate(settings: Settings) -> None:
    from db.migrations import upgrade

    check_database_url(settings)
    asyncio.run(_wait_for_database(settings))
    upgrade(settings.migration_url)


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> None:
    migrate(settings)
    print("database is at the latest migration")


def cmd_serve(args: argparse.Namespace, settings: Settings) -> None:
    import uvicorn

    from api.logging import logging_config

    check_database_url(settings)
    check_secret_key(settings)  # here, before any worker starts: a development key is generated once
    _check_mail_settings(settings)
    if settings.metrics_port is not None and settings.metrics_port == args.port:
        raise CommandError(f"METRICS_PORT must differ from --port ({args.port})")
    if not args.no_migrate:
        migrate(settings)  # once, here, before any worker starts
    # The metrics port first: this process then loads prometheus-client before PROMETHEUS_MULTIPROC_DIR
    # is set, so its own (unused) metrics stay in memory rather than leave files among the workers'.
    with _metrics_port(settings, args.host), _metrics_shared_between(args.workers):
        uvicorn.run(
            "api.app:create_app",
            factory=True,
            host=args.host,
            port=args.port,
            workers=args.workers,
            proxy_headers=True,
            forwarded_allow_ips=settings.forwarded_allow_ips,
            log_config=logging_config(settings),
            log_level=settings.log_level.lower(),
            access_log=False,  # api/middleware/access_log.py writes one richer line per request
            timeout_graceful_shutdown=30,
        )


def _check_mail_settings(settings: Settings) -> None:
    """Production without a way to send mail, or a malformed SMTP_URL, stops start-up (api/mail/)."""
    from api.mail.transport import transport_from_settings

    try:
        transport_from_settings(settings)
    except ValueError as error:
        raise CommandError(str(error)) from None


@contextmanager
def _metrics_shared_between(workers: int) -> Iterator[None]:
    """Give several workers a fresh prometheus-client multiprocess directory (unless the operator set
    one), so that /metrics, answered by any one worker, counts the requests of all of them."""
    variable = "PROMETHEUS_MULTIPROC_DIR"
    if workers <= 1 or os.environ.get(variable):
        yield
        return
    directory = tempfile.mkdtemp(prefix="usergraph-metrics-")
    os.environ[variable] = directory  # inherited by the worker processes uvicorn spawns
    try:
        yield
    finally:
        del os.environ[variable]
        shutil.rmtree(directory, ignore_errors=True)


@contextmanager
def _metrics_port(settings: Settings, host: str) -> Iterator[None]:
    """/metrics on METRICS_PORT, served from this process (api/metrics_port.py says why here)."""
    if settings.metrics_enabled and settings.metrics_port is None and not settings.metrics_on_api_port:
        log.warning("/metrics is off: in production it needs METRICS_TOKEN or METRICS_PORT")
    if not settings.metrics_enabled or settings.metrics_port is None:
        yield
        return
    from api.metrics_port import start_metrics_port

    try:
        stop = start_metrics_port(host, settings.metrics_port, settings.metrics_token)
    except OSError as error:
        raise CommandError(f"cannot serve metrics on {host}:{settings.metrics_port}: {first_line(error)}") from None
    try:
        yield
    finally:
        stop()


def add_commands(commands: argparse._SubParsersAction) -> None:
    serve = commands.add_parser("serve", help="migrate the database, then serve the API")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
    serve.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    serve.add_argument("--no-migrate", action="store_true", help="start at once, without migrating")
    serve.set_defaults(handler=cmd_serve)

    commands.add_parser("migrate", help="upgrade the database to the latest migration").set_defaults(
        handler=cmd_migrate
    )
