"""`usergraph rotate-secret-key`: re-encrypt every two-factor secret with the current SECRET_KEY, so the
old key can leave SECRET_KEY_FALLBACKS."""

from __future__ import annotations

import argparse
import asyncio

from api.cli.errors import CommandError, database_failure
from api.cli.serve import check_database_url
from api.settings import Settings


def cmd_rotate_secret_key(args: argparse.Namespace, settings: Settings) -> None:
    from sqlalchemy.exc import SQLAlchemyError

    from api.secret_key import SecretKeyError, secret_keys
    from db.engine import Database
    from db.services.secret_box import SecretBox, SecretUnreadable
    from db.services.two_factor import reencrypt_secrets

    check_database_url(settings)
    try:
        box = SecretBox(secret_keys(settings))
    except SecretKeyError as error:
        raise CommandError(str(error)) from None

    async def run() -> int:
        database = Database.from_settings(settings)
        try:
            async with database.sessionmaker() as db:
                changed = await reencrypt_secrets(db, box=box)
                await db.commit()
                return changed
        finally:
            await database.dispose()

    try:
        changed = asyncio.run(run())
    except SecretUnreadable:
        raise CommandError(
            "a stored secret matches neither SECRET_KEY nor SECRET_KEY_FALLBACKS; nothing was changed"
        ) from None
    except (OSError, SQLAlchemyError) as error:
        raise database_failure("database error", error) from None
    print(f"re-encrypted {changed} two-factor secret(s) with the current SECRET_KEY")


def add_commands(commands: argparse._SubParsersAction) -> None:
    commands.add_parser(
        "rotate-secret-key", help="re-encrypt two-factor secrets with the current SECRET_KEY"
    ).set_defaults(handler=cmd_rotate_secret_key)
