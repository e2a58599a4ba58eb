"""`usergraph purge-sessions` and `usergraph seed`: housekeeping and demo data, with a progress bar."""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
import time
from collections.abc import Callable
from datetime import timedelta

from api.cli.errors import CommandError, database_failure
from api.cli.serve import check_database_url
from api.settings import Settings

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
    from api.policies import sign_in_limits, sign_up_limits
    from db.services.rate_limit import purge_attempts
    from api.policies import email_flow_policy
    from db.services import link_tokens, outbox
    from db.services.sessions import purge_ended_sessions
    from db.services.two_factor import purge_ended_challenges
    from db.types import utcnow

    older_than = parse_duration(args.older_than)
    check_database_url(settings)

    async def run() -> tuple[int, int, int, int, int]:
        database = Database.from_settings(settings)
        now = utcnow()
        try:
            async with database.sessionmaker() as db:
                sessions = await purge_ended_sessions(db, ended_before=now - older_than)
                # Attempts older than every limit's window no longer count for anything.
                window = max(
                    sign_in_limits(settings).window, sign_up_limits(settings).window,
                    email_flow_policy(settings).longest_window,
                )
                failures = await purge_attempts(db, before=now - window)
                challenges = await purge_ended_challenges(db, now=now)  # an ended challenge is of no use
                tokens = await link_tokens.purge(db, before=now - older_than)
                mails = await outbox.purge(db, before=now - older_than)
                await db.commit()
                return sessions, failures, challenges, tokens, mails
        finally:
            await database.dispose()

    try:
        sessions, failures, challenges, tokens, mails = asyncio.run(run())
    except (OSError, SQLAlchemyError) as error:
        raise database_failure("database error", error) from None
    print(f"deleted {sessions} ended session(s) and {failures} rate-limit attempt(s) older than its windows")
    print(f"deleted {challenges} ended two-factor challenge(s)")
    print(f"deleted {tokens} used or expired link token(s) and {mails} sent message(s) from the outbox")


def cmd_purge_events(args: argparse.Namespace, settings: Settings) -> None:
    from sqlalchemy.exc import SQLAlchemyError

    from db.engine import Database
    from db.services.events import purge_events
    from db.types import utcnow

    older_than = parse_duration(args.older_than)
    check_database_url(settings)

    async def run() -> int:
        database = Database.from_settings(settings)
        try:
            async with database.sessionmaker() as db:
                deleted = await purge_events(db, before=utcnow() - older_than)
                await db.commit()
                return deleted
        finally:
            await database.dispose()

    try:
        deleted = asyncio.run(run())
    except (OSError, SQLAlchemyError) as error:
        raise database_failure("database error", error) from None
    print(f"deleted {deleted} security event(s) older than {args.older_than}")


def progress_bar(label: str) -> Callable[[int, int], None]:
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
    from api.policies import password_hashing
    from db.services.passwords import hash_password_sync
    from db.engine import Database
    from db.services.seed import ADMIN_EMAIL, DEMO_PASSWORD, seed_demo_data

    if args.users < 0 or args.sessions_per_user < 0:
        raise CommandError("--users and --sessions-per-user must not be negative")
    check_database_url(settings)

    async def run():
        database = Database.from_settings(settings)
        try:
            async with database.sessionmaker() as db:
                result = await seed_demo_data(
                    db,
                    users=args.users,
                    sessions_per_user=args.sessions_per_user,
                    password_hash=hash_password_sync(DEMO_PASSWORD, password_hashing(settings).params),
                    session_ttl=timedelta(days=settings.session_ttl_days),
                    progress=progress_bar("seeding users"),
                )
                await db.commit()
                return result
        finally:
            await database.dispose()

    started = time.monotonic()
    try:
        result = asyncio.run(run())
    except Exception as error:  # noqa: BLE001 - a missing table or a lost connection, said on one line
        raise database_failure("nothing was seeded", error) from None
    print(f"seeded {result.users} users and {result.sessions} sessions in {time.monotonic() - started:.1f}s")
    print(f"every demo user's password: {DEMO_PASSWORD}")
    if result.admin_created:
        print(f"admin: {ADMIN_EMAIL} / {DEMO_PASSWORD}")
    else:
        print(f"admin: {ADMIN_EMAIL} already existed; its password is unchanged")


def add_commands(commands: argparse._SubParsersAction) -> None:
    purge = commands.add_parser(
        "purge-sessions", help="delete sessions that ended (revoked or expired) long ago, old rate-limit records, used or "
        "expired link tokens and sent mail"
    )
    purge.add_argument(
        "--older-than", default="30d", metavar="DURATION",
        help="how long ago they ended: 30d, 12h, 90m (default 30d)",
    )
    purge.set_defaults(handler=cmd_purge_sessions)

    events = commands.add_parser("purge-events", help="delete security events older than a retention period")
    events.add_argument(
        "--older-than", default="365d", metavar="DURATION",
        help="how long ago they happened: 365d, 12h, 90m (default 365d)",
    )
    events.set_defaults(handler=cmd_purge_events)

    seed = commands.add_parser("seed", help="add demo users and sessions (appends; one shared password)")
    seed.add_argument("--users", type=int, required=True, help="how many users to add")
    seed.add_argument("--sessions-per-user", type=int, default=3, help="sessions per user (default 3)")
    seed.set_defaults(handler=cmd_seed)
