"""`usergraph create-admin`: the first admin, with the password read from standard input
(`--password-stdin`, for scripts) or asked for twice, without echo, at a terminal."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys

from api.cli.errors import CommandError, database_failure
from api.settings import Settings


def cmd_create_admin(args: argparse.Namespace, settings: Settings) -> None:
    from api.policies import password_hashing
    from db.models import Role
    from db.services.errors import Rejected
    from db.services.users import create_user

    password = _password(args.password_stdin)

    async def run() -> str:
        from db.engine import Database
        from db.unit_of_work import UnitOfWork

        database = Database.from_settings(settings)
        try:
            unit = UnitOfWork(database.sessionmaker)
            committed = False
            try:
                user = await create_user(
                    unit, email=args.email, name=args.name, password=password,
                    passwords=password_hashing(settings), role=Role.ADMIN, email_verified=True, field_prefix=(),
                )
                committed = True
            finally:
                await unit.finish(commit=committed)
            return user.email
        finally:
            await database.dispose()

    try:
        email = asyncio.run(run())
    except Rejected as rejected:
        raise CommandError(str(rejected)) from None
    except Exception as error:  # noqa: BLE001 - a missing table or a lost connection, said on one line
        raise database_failure("no admin was created", error) from None
    print(f"created admin {email}")


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise CommandError("no terminal to ask for the password: give it on standard input with --password-stdin")
    try:
        password = getpass.getpass("Password: ")
        again = getpass.getpass("Password (again): ")
    except (EOFError, KeyboardInterrupt):
        raise CommandError("no password given") from None
    if password != again:
        raise CommandError("the two passwords differ")
    return password


def add_commands(commands: argparse._SubParsersAction) -> None:
    admin = commands.add_parser("create-admin", help="create an active admin with a verified email")
    admin.add_argument("--email", required=True)
    admin.add_argument("--name", required=True)
    admin.add_argument("--password-stdin", action="store_true",
                       help="read the password from standard input (otherwise it is asked for at the terminal)")
    admin.set_defaults(handler=cmd_create_admin)
