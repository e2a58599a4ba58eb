"""Two-factor state and its checks: whether an account has it on, accepting a code exactly once, turning it
on and off, recovery codes and the sign-in's challenges. The flows that also check a password are in
`db.services.two_factor_flows`; `auth.sign_in` calls `required` and `start_challenge` from here.

Every acceptance is one conditional UPDATE: of the last used step (a TOTP code), of `used_at` (a recovery
code, a challenge). Two concurrent uses of one code therefore get exactly one success, on both databases
and in any number of processes: PostgreSQL's second UPDATE waits for the first to commit and then finds
its condition false; SQLite lets one writer in at a time.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import RecoveryCode, TwoFactor, TwoFactorChallenge, User
from db.services import events, rate_limit, totp
from db.services.errors import ErrorCode, Problem, Rejected
from db.services.events import EventType
from db.services.origin import Actor, Client
from db.services.rate_limit import RATE_LIMITED, Action, Reservation, SignInLimits
from db.services.secret_box import SecretBox
from db.services.tokens import hash_token, new_token
from db.types import utcnow
from db.unit_of_work import UnitOfWork

INVALID_CODE = "Wrong or already used code"
CODE_NEEDED = "This account has two-factor on: give a code from the authenticator app or a recovery code"
ALREADY_ON = "Two-factor is already on"
NOT_ON = "Two-factor is not on"
NOT_STARTED = "Start two-factor set-up first"
NOT_CONFIGURED = "Two-factor needs the SECRET_KEY setting"


@dataclass(frozen=True)
class TwoFactorPolicy:
    """Built once from the settings (api/policies.py). Without `secrets` (no key) nothing can be set up."""

    secrets: SecretBox | None = None
    issuer: str = "usergraph"
    challenge_ttl: timedelta = timedelta(minutes=5)
    max_tries: int = 5  # codes checked against one challenge before it is dead
    clock: Callable[[], datetime] = utcnow  # the time codes are checked at; tests set it

    def box(self) -> SecretBox:
        if self.secrets is None:
            raise Rejected(Problem(ErrorCode.INVALID_INPUT, NOT_CONFIGURED))
        return self.secrets


class CodeKind(StrEnum):
    TOTP = "totp"
    RECOVERY_CODE = "recovery_code"


def invalid_code(field: tuple[str, ...] | None = ("input", "code"), message: str = INVALID_CODE) -> Rejected:
    return Rejected(Problem(ErrorCode.INVALID_CODE, message, field))


async def required(db: AsyncSession, user_id: uuid.UUID) -> bool:
    """Whether the account has two-factor on, as committed now (read after sign-in has claimed the row)."""
    return bool(await db.scalar(select(User.two_factor_enabled).where(User.id == user_id)))


# --- checking a code ------------------------------------------------------------------------------------


async def check_code(
    unit: UnitOfWork,
    *,
    policy: TwoFactorPolicy,
    limits: SignInLimits,
    user: User,
    code: str | None,
    client: Client,
    now: datetime,
    actor: Actor,
    field: tuple[str, ...] = ("input", "code"),
) -> tuple[CodeKind, Reservation]:
    """Accept a current authenticator code or an unused recovery code of `user`, once, in the operation's
    transaction; raise INVALID_CODE otherwise.

    The attempt is counted by the sign-in limiter first (its email and client IP: RATE_LIMITED past a
    limit, with no check), so codes cannot be guessed faster than passwords. A wrong code stays counted
    and is recorded as a failed sign-in; the caller decides what a right one clears (`Reservation`).
    Call it holding no write in the operation's transaction (SQLite: the counting writes need the lock).
    """
    if not code or not code.strip():
        raise invalid_code(field, CODE_NEEDED)
    reservation = await count_code_attempt(unit, limits=limits, user=user, client=client, now=now)
    async with unit.db() as db:
        kind = await accept(db, policy=policy, user_id=user.id, code=code, now=now)
    if kind is None:
        await refuse_code(unit, user=user, client=client, actor=actor)
        raise invalid_code(field)
    return kind, reservation


async def count_code_attempt(
    unit: UnitOfWork, *, limits: SignInLimits, user: User, client: Client, now: datetime
) -> Reservation:
    """Count a code about to be checked as the sign-in limiter counts a password (the account's email and
    the client IP), committed on its own first: RATE_LIMITED past a limit."""
    return await rate_limit.reserve(
        unit, action=Action.PASSWORD, limits=limits.limits, email=user.email, ip_address=client.ip_address,
        refusal=Problem(ErrorCode.RATE_LIMITED, RATE_LIMITED), now=now,
    )


async def refuse_code(unit: UnitOfWork, *, user: User, client: Client, actor: Actor) -> None:
    """A wrong code: end the operation's transaction (a refused conditional UPDATE may hold SQLite's write
    lock) and record the failed attempt on its own."""
    await unit.release()
    await events.record_attempt(
        unit, EventType.SIGN_IN_FAILED, user_id=user.id, email=user.email, actor=actor, client=client,
        details={"reason": ErrorCode.INVALID_CODE.value},
    )


async def accept(db: AsyncSession, *, policy: TwoFactorPolicy, user_id: uuid.UUID, code: str, now: datetime) -> CodeKind | None:
    """Use `code` (authenticator or recovery) if it is valid and unused: one conditional UPDATE in the
    operation's transaction. None when it is not (nothing changed)."""
    code = totp.normalize_code(code)
    if totp.is_totp_code(code):
        return CodeKind.TOTP if await _accept_totp(db, policy=policy, user_id=user_id, code=code, now=now) else None
    statement = (
        update(RecoveryCode)
        .where(RecoveryCode.user_id == user_id, RecoveryCode.code_hash == totp.hash_recovery_code(code),
               RecoveryCode.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    return CodeKind.RECOVERY_CODE if (await db.execute(statement)).rowcount == 1 else None


async def _accept_totp(db: AsyncSession, *, policy: TwoFactorPolicy, user_id: uuid.UUID, code: str, now: datetime) -> bool:
    box = policy.box()
    stored = await _stored_secret(db, user_id)
    while stored is not None:
        secret = box.decrypt(stored)
        step = totp.matching_step(secret, code, now)
        if step is None:
            return False
        changes: dict[str, object] = {"last_used_step": step, "updated_at": now}
        rewritten = box.reencrypted(stored)  # a secret still under a rotated-out key moves to the current one
        if rewritten is not None:
            changes["secret"] = rewritten
        statement = (
            update(TwoFactor)
            .where(TwoFactor.user_id == user_id, TwoFactor.secret == stored,
                   or_(TwoFactor.last_used_step.is_(None), TwoFactor.last_used_step < step))
            .values(**changes)
            .execution_options(synchronize_session=False)
        )
        if (await db.execute(statement)).rowcount == 1:
            return True
        # Nothing written: the step was used already (a replay), or the row changed. Only a new
        # ciphertext of the same secret (rotate-secret-key committed meanwhile) is worth another try.
        current = await _stored_secret(db, user_id)
        if current is None or current == stored or box.decrypt(current) != secret:
            return False
        stored = current
    return False


async def _stored_secret(db: AsyncSession, user_id: uuid.UUID) -> str | None:
    return (await db.execute(select(TwoFactor.secret).where(TwoFactor.user_id == user_id))).scalar()


# --- set-up and removal --------------------------------------------------------------------------------


async def store_pending_secret(db: AsyncSession, *, policy: TwoFactorPolicy, user_id: uuid.UUID, secret: str, now: datetime) -> None:
    """Keep a new secret until it is confirmed; a set-up begun again replaces it."""
    encrypted = policy.box().encrypt(secret)
    statement = (
        update(TwoFactor).where(TwoFactor.user_id == user_id)
        .values(pending_secret=encrypted, updated_at=now).execution_options(synchronize_session=False)
    )
    if (await db.execute(statement)).rowcount:
        return
    try:
        async with db.begin_nested():  # a concurrent first set-up may insert the row first
            await db.execute(insert(TwoFactor).values(
                user_id=user_id, pending_secret=encrypted, created_at=now, updated_at=now,
            ))
    except IntegrityError:
        await db.execute(statement)


async def pending_secret(db: AsyncSession, *, policy: TwoFactorPolicy, user_id: uuid.UUID) -> tuple[str, str] | None:
    """(secret, as stored) of a set-up begun and not confirmed."""
    stored = (await db.execute(select(TwoFactor.pending_secret).where(TwoFactor.user_id == user_id))).scalar()
    return None if stored is None else (policy.box().decrypt(stored), stored)


async def turn_on(db: AsyncSession, *, user: User, stored_pending: str, step: int, now: datetime) -> bool:
    """The pending secret becomes the secret (its confirming code counts as used); False when the set-up
    changed meanwhile (begun again, or confirmed by a concurrent request)."""
    statement = (
        update(TwoFactor)
        .where(TwoFactor.user_id == user.id, TwoFactor.pending_secret == stored_pending)
        .values(secret=stored_pending, pending_secret=None, enabled_at=now, last_used_step=step, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if (await db.execute(statement)).rowcount != 1:
        return False
    user.two_factor_enabled = True
    await db.flush()
    return True


async def turn_off(db: AsyncSession, *, user: User, now: datetime | None = None) -> bool:
    """Two-factor off: secret, recovery codes and open challenges gone. For `disableTwoFactor`, an admin's
    `resetTwoFactor`, and a password reset of an address never verified (the email work calls it).
    Returns whether it was on. The caller records the event."""
    now = now or utcnow()
    was_on = user.two_factor_enabled
    await db.execute(
        update(TwoFactor).where(TwoFactor.user_id == user.id)
        .values(secret=None, pending_secret=None, enabled_at=None, last_used_step=None, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    await db.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    await db.execute(delete(TwoFactorChallenge).where(TwoFactorChallenge.user_id == user.id))
    user.two_factor_enabled = False
    await db.flush()
    return was_on


async def replace_recovery_codes(db: AsyncSession, *, user_id: uuid.UUID, now: datetime) -> list[str]:
    """New recovery codes, shown once; only their hashes are kept, and the old ones stop working."""
    codes = totp.new_recovery_codes()
    await db.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    await db.execute(insert(RecoveryCode), [
        {"id": uuid.uuid4(), "user_id": user_id, "code_hash": totp.hash_recovery_code(code), "created_at": now}
        for code in codes
    ])
    return codes


async def unused_recovery_codes(db: AsyncSession, user_id: uuid.UUID) -> int:
    rows = await db.execute(
        select(RecoveryCode.id).where(RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))
    )
    return len(rows.all())


# --- the sign-in's challenge ---------------------------------------------------------------------------


async def start_challenge(db: AsyncSession, *, policy: TwoFactorPolicy, user: User, client: Client, now: datetime) -> str:
    """A challenge for a sign-in whose password was right; returns its token (only the hash is kept)."""
    token = new_token()
    await db.execute(insert(TwoFactorChallenge).values(
        id=uuid.uuid4(), token_hash=hash_token(token), user_id=user.id, expires_at=now + policy.challenge_ttl,
        tries=0, ip_address=rate_limit.ip_key(client.ip_address), created_at=now,
        password_digest=hash_token(user.password_hash),
    ))
    return token


def started_with_current_password(challenge: TwoFactorChallenge, user: User) -> bool:
    return challenge.password_digest == hash_token(user.password_hash)


async def find_challenge(db: AsyncSession, token: str) -> TwoFactorChallenge | None:
    if not token or len(token) > 128:
        return None
    return await db.scalar(select(TwoFactorChallenge).where(TwoFactorChallenge.token_hash == hash_token(token)))


async def take_try(unit: UnitOfWork, *, policy: TwoFactorPolicy, challenge_id: uuid.UUID, now: datetime) -> bool:
    """Count one code against a live challenge before it is checked, committed on its own (so it counts
    whatever the operation does, and concurrent tries count each other): False once it is used, expired
    or has had its `max_tries`."""
    async with unit.independent() as db:
        result = await db.execute(
            update(TwoFactorChallenge)
            .where(TwoFactorChallenge.id == challenge_id, TwoFactorChallenge.used_at.is_(None),
                   TwoFactorChallenge.expires_at > now, TwoFactorChallenge.tries < policy.max_tries)
            .values(tries=TwoFactorChallenge.tries + 1)
            .execution_options(synchronize_session=False)
        )
    return result.rowcount == 1


async def use_challenge(db: AsyncSession, *, challenge_id: uuid.UUID, now: datetime) -> bool:
    """The challenge's one use, in the operation's transaction (a concurrent use of it gets False)."""
    result = await db.execute(
        update(TwoFactorChallenge)
        .where(TwoFactorChallenge.id == challenge_id, TwoFactorChallenge.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


async def purge_ended_challenges(db: AsyncSession, *, now: datetime) -> int:
    """Delete challenges that can no longer be used (expired or used); returns how many."""
    result = await db.execute(delete(TwoFactorChallenge).where(
        or_(TwoFactorChallenge.expires_at <= now, TwoFactorChallenge.used_at.is_not(None))
    ))
    return result.rowcount or 0



async def reencrypt_secrets(db: AsyncSession, *, box: SecretBox) -> int:
    """Rewrite every stored secret (and pending one) that is not under the current key; returns how many
    rows changed. Raises `SecretUnreadable` when a secret matches no configured key (nothing is lost:
    the caller's transaction is rolled back). The API keeps running meanwhile: a row it changed after
    being read is read again, never overwritten with what it held before."""
    stale = await stale_secrets(db, box=box)
    changed = 0
    while stale:
        done, stale = await rewrite_secrets(db, stale)
        changed += done
        stale = await stale_secrets(db, box=box, user_ids=[row.user_id for row in stale]) if stale else []
    return changed


@dataclass(frozen=True)
class StaleSecret:
    user_id: uuid.UUID
    secret: str | None  # as read
    pending_secret: str | None
    changes: dict[str, str]  # the columns re-encrypted under the current key


async def stale_secrets(
    db: AsyncSession, *, box: SecretBox, user_ids: list[uuid.UUID] | None = None
) -> list[StaleSecret]:
    """The rows holding a secret that is not under the current key, with what each should become."""
    statement = select(TwoFactor.user_id, TwoFactor.secret, TwoFactor.pending_secret)
    if user_ids is not None:
        statement = statement.where(TwoFactor.user_id.in_(user_ids))
    found = []
    for user_id, secret, pending in (await db.execute(statement)).all():
        changes = {
            name: rewritten
            for name, stored in (("secret", secret), ("pending_secret", pending))
            if stored is not None and (rewritten := box.reencrypted(stored)) is not None
        }
        if changes:
            found.append(StaleSecret(user_id, secret, pending, changes))
    return found


async def rewrite_secrets(db: AsyncSession, stale: list[StaleSecret]) -> tuple[int, list[StaleSecret]]:
    """Write each row's re-encrypted secrets if the row still holds what was read (set-up, confirmation
    or a new secret may have replaced it since); returns how many were written and those that changed."""
    written, moved = 0, []
    for row in stale:
        result = await db.execute(
            update(TwoFactor)
            .where(
                TwoFactor.user_id == row.user_id,
                TwoFactor.secret.is_not_distinct_from(row.secret),
                TwoFactor.pending_secret.is_not_distinct_from(row.pending_secret),
            )
            .values(**row.changes)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount:
            written += 1
        else:
            moved.append(row)
    return written, moved
