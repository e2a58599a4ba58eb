"""Link tokens: what a password-reset, verification or email-change link carries.

256 random bits, only their SHA-256 stored, one purpose each, an expiry, and single use: using one is a
conditional UPDATE (unused, unexpired), so of two concurrent uses exactly one wins. A token also carries
the fingerprint of its account's email and password hash when it was issued and works only while they
are unchanged: a password or email change by any path (the viewer, an admin, the CLI, a reset) kills
every outstanding link of the account without that path knowing about links.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import LinkToken, User
from db.services.tokens import hash_token, is_plausible_token, new_token
from db.types import utcnow


class Purpose(StrEnum):
    RESET_PASSWORD = "reset_password"
    VERIFY_EMAIL = "verify_email"
    CHANGE_EMAIL = "change_email"


def fingerprint(email_key: str, password_hash: str) -> str:
    return hashlib.sha256(f"{email_key}\x00{password_hash}".encode()).hexdigest()


def account_fingerprint(user: User) -> str:
    return fingerprint(user.email_key, user.password_hash)


async def issue(
    db: AsyncSession,
    *,
    user: User | None,
    purpose: Purpose,
    ttl: timedelta,
    new_email: str | None = None,
    now: datetime | None = None,
) -> str:
    """A new token for `user` (in the operation's transaction); returns the token, shown only in its link.
    With `user=None` a decoy that no link carries and nothing accepts (same work for unknown emails)."""
    now = now or utcnow()
    token = new_token()
    await db.execute(insert(LinkToken).values(
        id=uuid.uuid4(), user_id=user.id if user else None, purpose=purpose.value, token_hash=hash_token(token),
        fingerprint=account_fingerprint(user) if user else fingerprint("", ""), new_email=new_email,
        created_at=now, expires_at=now + ttl,
    ))
    return token


@dataclass(frozen=True)
class Redeemed:
    user: User  # locked until the operation ends (PostgreSQL; SQLite has one writer)
    new_email: str | None


async def peek(db: AsyncSession, token: str, purpose: Purpose, *, now: datetime | None = None) -> User | None:
    """The account a token would act on if used now, without using it (None: INVALID_TOKEN). For a flow
    that must do slow work (hash a password) before it uses the token; `redeem` decides."""
    if not is_plausible_token(token):
        return None
    now = now or utcnow()
    row = (await db.execute(
        select(LinkToken, User).join(User, User.id == LinkToken.user_id)
        .where(LinkToken.token_hash == hash_token(token), LinkToken.purpose == purpose.value,
               LinkToken.used_at.is_(None), LinkToken.expires_at > now)
    )).first()
    if row is None or row.LinkToken.fingerprint != account_fingerprint(row.User):
        return None
    return row.User


async def redeem(db: AsyncSession, token: str, purpose: Purpose, *, now: datetime | None = None) -> Redeemed | None:
    """Use a token once: None when it is malformed, unknown, of another purpose, used, expired, or its
    account's email or password changed since it was issued."""
    if not is_plausible_token(token):
        return None
    now = now or utcnow()
    row = (await db.execute(
        update(LinkToken)
        .where(LinkToken.token_hash == hash_token(token), LinkToken.purpose == purpose.value,
               LinkToken.used_at.is_(None), LinkToken.expires_at > now, LinkToken.user_id.is_not(None))
        .values(used_at=now)
        .returning(LinkToken.user_id, LinkToken.fingerprint, LinkToken.new_email)
        .execution_options(synchronize_session=False)
    )).first()
    if row is None:
        return None
    # The account as it is now, locked so that no change slips between this check and the flow's write.
    user = (await db.execute(
        select(User).where(User.id == row.user_id).with_for_update(),
        execution_options={"populate_existing": True},
    )).scalar_one_or_none()
    if user is None or account_fingerprint(user) != row.fingerprint:
        return None
    return Redeemed(user, row.new_email)


async def retire_all(
    db: AsyncSession, *, user_id: uuid.UUID, purpose: Purpose | None = None, now: datetime | None = None
) -> None:
    """Mark every outstanding token of an account (of one purpose, if given) used: its email or password
    just changed (the fingerprint already refuses them; this lets the purge drop them), or a newer link
    replaces them."""
    now = now or utcnow()
    condition = [LinkToken.user_id == user_id, LinkToken.used_at.is_(None)]
    if purpose is not None:
        condition.append(LinkToken.purpose == purpose.value)
    await db.execute(
        update(LinkToken).where(*condition).values(used_at=now).execution_options(synchronize_session=False)
    )


async def purge(db: AsyncSession, *, before: datetime) -> int:
    """Delete tokens used or expired before `before`; returns how many."""
    result = await db.execute(delete(LinkToken).where(
        or_(LinkToken.used_at < before, LinkToken.expires_at < before)
    ))
    return result.rowcount or 0
