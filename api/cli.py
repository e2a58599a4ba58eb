"""The `usergraph` command line: serve, migrate, create-admin, export-schema, purge-sessions, seed."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
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


_DURATION = re.compile(r"^\s*(\d+)\s*([dhm])\s*$")
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


def parse_duration(text: str) -> timedelta:
    """`30d`, `12h` or `90m`."""
    match = _DURATION.match(text)
    if not match:
        raise CommandError(f"invalid duration {text!r}: use a whole number with d, h or m (30d, 12h, 90m)")
    return timedelta(**{_UNITS[match[2]]: int(match[1])})


def cmd_purge_sessions(args: argparse.Namespace, settings: Settings) -> None:
    from sqlalchemy.exc import SQLAlchemyError

    from db.engine import Database
    from db.services.rate_limit import SignInLimits, purge_failures
    from db.services.sessions import purge_ended_sessions
    from db.types import utcnow

    older_than = parse_duration(args.older_than)
    _check_database_url(settings)

    async def run() -> tuple[int, int]:
        database = Database.from_settings(settings)
        now = utcnow()
        try:
            async with database.sessionmaker() as session:
                sessions = await purge_ended_sessions(session, ended_before=now - older_than)
                # Failures older than the limiter's window no longer count for anything.
                failures = await purge_failures(session, before=now - SignInLimits.from_settings(settings).window)
                await session.commit()
                return sessions, failures
        finally:
            await database.dispose()

    try:
        sessions, failures = asyncio.run(run())
    except (OSError, SQLAlchemyError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise CommandError(f"database error: {reason}") from None
    print(f"deleted {sessions} ended session(s) and {failures} old sign-in failure record(s)")
def _progress_bar(label: str) -> Callable[[int, int], None]:
    """A one-line text progress bar on stderr (redrawn in place on a terminal, every 10% otherwise)."""
    tty = sys.stderr.isatty()
    shown = {"step": -1}

    def show(done: int, total: int) -> None:
        fraction = done / total if total else 1.0
        step = int(fraction * (100 if tty else 10))
        if step == shown["step"]:
            return
        shown["step"] = step
        bar = "#" * int(fraction * 30)
        line = f"{label} [{bar:<30}] {fraction:4.0%} {done}/{total}"
        sys.stderr.write(f"\r{line}" if tty else f"{line}\n")
        if tty and done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return show


def cmd_seed(args: argparse.Namespace, settings: Settings) -> None:
    from datetime import timedelta

    from api.security.passwords import hash_password_sync
    from db.services.seed import ADMIN_EMAIL, DEMO_PASSWORD, seed_demo_data

    if args.users < 0 or args.sessions_per_user < 0:
        raise CommandError("--users and --sessions-per-user must not be negative")
    _check_database_url(settings)

    async def run():
        from db.engine import Database

        database = Database.from_settings(settings)
        try:
            async with database.sessionmaker() as session:
                result = await seed_demo_data(
                    session,
                    users=args.users,
                    sessions_per_user=args.sessions_per_user,
                    password_hash=hash_password_sync(DEMO_PASSWORD),
                    session_ttl=timedelta(days=settings.session_ttl_days),
                    progress=_progress_bar("seeding users"),
                )
                await session.commit()
                return result
        finally:
            await database.dispose()

    started = time.monotonic()
    try:
        result = asyncio.run(run())
    except Exception as error:  # noqa: BLE001 - a missing table or a lost connection, said on one line
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        if "no such table" in reason or "does not exist" in reason:
            reason += " (run `usergraph migrate` first)"
        raise CommandError(f"nothing was seeded: {reason}") from None
    print(f"seeded {result.users} users and {result.sessions} sessions in {time.monotonic() - started:.1f}s")
    print(f"every demo user's password: {DEMO_PASSWORD}")
    if result.admin_created:
        print(f"admin: {ADMIN_EMAIL} / {DEMO_PASSWORD}")
    else:
        print(f"admin: {ADMIN_EMAIL} already existed; its password is unchanged")


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

    purge = commands.add_parser(
        "purge-sessions", help="delete sessions that ended (revoked or expired) long ago, and old rate-limit records"
    )
    purge.add_argument(
        "--older-than", default="30d", metavar="DURATION",
        help="how long ago they ended: 30d, 12h, 90m (default 30d)",
    )
    purge.set_defaults(handler=cmd_purge_sessions)

    seed = commands.add_parser("seed", help="add demo users and sessions (appends; one shared password)")
    seed.add_argument("--users", type=int, required=True, help="how many users to add")
    seed.add_argument("--sessions-per-user", type=int, default=3, help="sessions per user (default 3)")
    seed.set_defaults(handler=cmd_seed)
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
