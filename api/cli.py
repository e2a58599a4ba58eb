"""The `usergraph` command line: serve, migrate, create-admin, export-schema."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from api.settings import Settings, get_settings
from db.url import DatabaseURLError

log = logging.getLogger("usergraph")


class CommandError(Exception):
    """A failure to report on one line, with exit code 1."""


def _check_database_url(settings: Settings) -> None:
    from db.engine import database_config

    database_config(settings)
    database_config(settings, url=settings.migration_url)


async def _wait_for_database(settings: Settings) -> None:
    from db.engine import Database

    database = Database.from_settings(settings, url=settings.migration_url)
    deadline = time.monotonic() + settings.startup_timeout
    try:
        while True:
            try:
                await database.ping(settings.connect_timeout)
                return
            except Exception as error:  # noqa: BLE001 - any failure to answer is worth a retry
                reason = str(error) or type(error).__name__
                if time.monotonic() >= deadline:
                    raise CommandError(
                        f"database not reachable after {settings.startup_timeout:g}s: {reason}"
                    ) from None
                log.warning("database not reachable yet (%s); retrying", reason)
                await asyncio.sleep(1)
    finally:
        await database.dispose()


def migrate(settings: Settings) -> None:
    from db.migrations import upgrade

    _check_database_url(settings)
    asyncio.run(_wait_for_database(settings))
    upgrade(settings.migration_url)


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> None:
    migrate(settings)
    print("database is at the latest migration")


def cmd_serve(args: argparse.Namespace, settings: Settings) -> None:
    import uvicorn

    from api.logging import logging_config

    _check_database_url(settings)
    if not args.no_migrate:
        migrate(settings)  # once, here, before any worker starts
    with _metrics_shared_between(args.workers):
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


def cmd_create_admin(args: argparse.Namespace, settings: Settings) -> None:
    from db.models import Role
    from db.services.errors import Rejected
    from db.services.users import create_user

    if not args.password_stdin:
        raise CommandError("give the password on standard input with --password-stdin")
    password = sys.stdin.readline().rstrip("\r\n")

    async def run() -> str:
        from db.engine import Database

        database = Database.from_settings(settings)
        try:
            async with database.sessionmaker() as session:
                user = await create_user(
                    session, email=args.email, name=args.name, password=password,
                    role=Role.ADMIN, email_verified=True, field_prefix=(),
                )
                await session.commit()
                return user.email
        finally:
            await database.dispose()

    try:
        email = asyncio.run(run())
    except Rejected as rejected:
        raise CommandError(str(rejected)) from None
    print(f"created admin {email}")


def cmd_export_schema(args: argparse.Namespace, settings: Settings) -> None:
    from schema import build_schema

    sdl = build_schema().as_str() + "\n"
    if args.output in (None, "-"):
        sys.stdout.write(sdl)
    else:
        Path(args.output).write_text(sdl)
        print(f"wrote {args.output}", file=sys.stderr)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="usergraph", description="GraphQL user-management API.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="migrate the database, then serve the API")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
    serve.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    serve.add_argument("--no-migrate", action="store_true", help="start at once, without migrating")
    serve.set_defaults(handler=cmd_serve)

    commands.add_parser("migrate", help="upgrade the database to the latest migration").set_defaults(
        handler=cmd_migrate
    )

    admin = commands.add_parser("create-admin", help="create an active admin with a verified email")
    admin.add_argument("--email", required=True)
    admin.add_argument("--name", required=True)
    admin.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    admin.set_defaults(handler=cmd_create_admin)

    export = commands.add_parser("export-schema", help="print the GraphQL schema (SDL)")
    export.add_argument("--output", "-o", help="write to this file instead of standard output")
    export.set_defaults(handler=cmd_export_schema)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from api.logging import configure_logging

    args = build_parser().parse_args(argv)
    settings = get_settings()
    configure_logging(settings)
    handler: Callable[[argparse.Namespace, Settings], None] = args.handler
    try:
        handler(args, settings)
    except (CommandError, DatabaseURLError) as error:
        print(f"usergraph {args.command}: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
