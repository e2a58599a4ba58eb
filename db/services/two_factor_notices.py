"""Security notices about two-factor, one function per notice point. Each is called in the transaction
of the change it reports, so a mail outbox row written here goes out only if the change commits.

Nothing is sent yet: the email work (CONTRACT.md, "Email flows") fills these in with its outbox.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import User
from db.services.origin import Client


async def notify_two_factor_enabled(db: AsyncSession, *, user: User, client: Client) -> None:
    """To the account's address: two-factor was turned on."""


async def notify_two_factor_disabled(db: AsyncSession, *, user: User, client: Client, by_admin: bool) -> None:
    """To the account's address: two-factor was turned off, by the user or (`by_admin`) reset by an admin."""


async def notify_recovery_codes_regenerated(db: AsyncSession, *, user: User, client: Client) -> None:
    """To the account's address: the recovery codes were replaced (the old ones no longer work)."""


async def notify_recovery_code_used(db: AsyncSession, *, user: User, client: Client, remaining: int) -> None:
    """To the account's address: a recovery code was used to sign in; `remaining` are left."""
