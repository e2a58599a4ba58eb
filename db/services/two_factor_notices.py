"""Security notices about two-factor, one function per notice point. Each is called in the transaction
of the change it reports, so its outbox row (db/services/outbox.py) goes out only if the change commits.
No notice carries a link, a code or the secret; each names the app and says what to do if it wasn't you.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import User
from db.services.mail_messages import Kind, MailPolicy, queue_notice


class DisabledBy(StrEnum):
    """Who turned two-factor off (TWO_FACTOR_DISABLED's `details.by`, and the notice's wording)."""

    SELF = "self"  # disableTwoFactor, with the password and a code
    ADMIN = "admin"  # resetTwoFactor
    PASSWORD_RESET = "password_reset"  # a reset link to an address never verified


async def _notify(db: AsyncSession, mail: MailPolicy, kind: Kind, user: User, **values: object) -> None:
    await queue_notice(db, mail, kind, to=user.email, name=user.name, email=user.email, **values)


async def notify_two_factor_enabled(db: AsyncSession, mail: MailPolicy, *, user: User) -> None:
    """To the account's address: two-factor was turned on."""
    await _notify(db, mail, Kind.TWO_FACTOR_ENABLED, user)


async def notify_two_factor_disabled(db: AsyncSession, mail: MailPolicy, *, user: User, by: DisabledBy) -> None:
    """To the account's address: two-factor was turned off, by the user, by an admin or by a password reset."""
    await _notify(db, mail, Kind.TWO_FACTOR_DISABLED, user, by=by.value)


async def notify_recovery_codes_regenerated(db: AsyncSession, mail: MailPolicy, *, user: User) -> None:
    """To the account's address: the recovery codes were replaced (the old ones no longer work)."""
    await _notify(db, mail, Kind.RECOVERY_CODES_REGENERATED, user)


async def notify_recovery_code_used(db: AsyncSession, mail: MailPolicy, *, user: User, remaining: int) -> None:
    """To the account's address: a recovery code was used to sign in; `remaining` are left."""
    await _notify(db, mail, Kind.RECOVERY_CODE_USED, user, remaining=remaining)
