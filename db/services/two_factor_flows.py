"""The two-factor mutations' rules: set-up, recovery codes, turning it off (the viewer, with the password;
an admin's reset) and the second step of signing in. Resolvers in schema/mutations/two_factor.py call
these; they raise `Rejected` for the user's errors."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import User
from db.services import auth, events, rate_limit, totp, two_factor
from db.services.auth import AuthPolicy, SignedIn
from db.services.errors import ErrorCode, Problem, Rejected
from db.services.events import EventType
from db.services.mail_messages import MailPolicy
from db.services.origin import ANONYMOUS, Actor, Client
from db.services.sessions import revoke_sessions
from db.services.two_factor import ALREADY_ON, NOT_ON, NOT_STARTED, CodeKind, invalid_code
from db.services.two_factor_notices import (
    DisabledBy,
    notify_recovery_code_used,
    notify_recovery_codes_regenerated,
    notify_two_factor_disabled,
    notify_two_factor_enabled,
)
from db.unit_of_work import UnitOfWork

CHALLENGE_ENDED = "This sign-in has expired or was used; sign in again"
RESET_SELF = "Use disableTwoFactor for your own account"


@dataclass(frozen=True)
class TwoFactorSetup:
    secret: str
    otpauth_uri: str
    qr_code_svg: str


def _refuse(problem_code: ErrorCode, message: str) -> Rejected:
    return Rejected(Problem(problem_code, message))


async def begin_setup(unit: UnitOfWork, *, policy: AuthPolicy, user: User, password: str, client: Client) -> TwoFactorSetup:
    """A new secret, kept pending until `confirm_setup`; two-factor stays as it is until then."""
    if user.two_factor_enabled:
        raise _refuse(ErrorCode.INVALID_INPUT, ALREADY_ON)
    policy.two_factor.box()  # refuse before the password check when no key is configured
    await auth.confirm_password(unit, policy=policy, user=user, password=password, client=client)
    secret = totp.new_secret()
    async with unit.db() as db:
        await two_factor.store_pending_secret(
            db, policy=policy.two_factor, user_id=user.id, secret=secret, now=policy.two_factor.clock(),
        )
    uri = totp.provisioning_uri(secret, account=user.email, issuer=policy.two_factor.issuer)
    return TwoFactorSetup(secret, uri, totp.qr_code_svg(uri))


async def confirm_setup(
    unit: UnitOfWork, *, policy: AuthPolicy, mail: MailPolicy, user: User, code: str, client: Client
) -> list[str]:
    """Two-factor on, with a current code of the pending secret; returns the recovery codes (shown once).
    Wrong codes count toward the sign-in limits as elsewhere (a stolen session cannot guess its way to
    turning on a set-up its owner abandoned)."""
    now = policy.two_factor.clock()
    if user.two_factor_enabled:
        raise _refuse(ErrorCode.INVALID_INPUT, ALREADY_ON)
    async with unit.db() as db:
        pending = await two_factor.pending_secret(db, policy=policy.two_factor, user_id=user.id)
    if pending is None:
        raise _refuse(ErrorCode.INVALID_INPUT, NOT_STARTED)
    await unit.release()  # the limiter's writes below commit on their own
    reservation = await two_factor.count_code_attempt(
        unit, limits=policy.sign_in_limits, user=user, client=client, now=now,
    )
    secret, stored = pending
    step = totp.matching_step(secret, totp.normalize_code(code), now)
    if step is None:
        await two_factor.refuse_code(unit, user=user, client=client, actor=Actor.user(user.id))
        raise invalid_code()
    reservation.take_back()
    async with unit.db() as db:
        if not await two_factor.turn_on(db, user=user, stored_pending=stored, step=step, now=now):
            raise invalid_code()  # set-up begun again, or confirmed, meanwhile
        codes = await two_factor.replace_recovery_codes(db, user_id=user.id, now=now)
        await events.record(db, EventType.TWO_FACTOR_ENABLED, user_id=user.id, email=user.email,
                            actor=Actor.user(user.id), client=client)
        await notify_two_factor_enabled(db, mail, user=user)
    return codes


async def regenerate_recovery_codes(
    unit: UnitOfWork, *, policy: AuthPolicy, mail: MailPolicy, user: User, password: str, client: Client,
) -> list[str]:
    if not user.two_factor_enabled:
        raise _refuse(ErrorCode.INVALID_INPUT, NOT_ON)
    await auth.confirm_password(unit, policy=policy, user=user, password=password, client=client)
    async with unit.db() as db:
        codes = await two_factor.replace_recovery_codes(db, user_id=user.id, now=policy.two_factor.clock())
        await events.record(db, EventType.RECOVERY_CODES_REGENERATED, user_id=user.id, email=user.email,
                            actor=Actor.user(user.id), client=client)
        await notify_recovery_codes_regenerated(db, mail, user=user)
    return codes


async def disable(
    unit: UnitOfWork, *, policy: AuthPolicy, mail: MailPolicy, user: User, password: str, code: str, client: Client
) -> User:
    """Two-factor off, with the password and a current code or an unused recovery code."""
    if not user.two_factor_enabled:
        raise _refuse(ErrorCode.INVALID_INPUT, NOT_ON)
    await auth.confirm_password(unit, policy=policy, user=user, password=password, client=client)
    now = policy.two_factor.clock()
    _, reservation = await two_factor.check_code(
        unit, policy=policy.two_factor, limits=policy.sign_in_limits, user=user, code=code, client=client,
        now=now, actor=Actor.user(user.id),
    )
    reservation.take_back()
    async with unit.db() as db:
        await turned_off(db, mail, user=user, actor=Actor.user(user.id), client=client, by=DisabledBy.SELF, now=now)
    return user


async def reset(
    db: AsyncSession, *, mail: MailPolicy, admin: User, user_id: uuid.UUID | None, client: Client,
    now: datetime | None = None,
) -> User:
    """An admin turns a user's two-factor off (a lost device) and signs them out everywhere. Not their own:
    that would skip the password and code `disableTwoFactor` asks for."""
    user = await db.get(User, user_id) if user_id is not None else None
    if user is None:
        raise Rejected(Problem(ErrorCode.NOT_FOUND, "No such user", ("userId",)))
    if user.id == admin.id:
        raise Rejected(Problem(ErrorCode.INVALID_INPUT, RESET_SELF, ("userId",)))
    if user.two_factor_enabled:
        await turned_off(db, mail, user=user, actor=Actor.admin(admin.id), client=client, by=DisabledBy.ADMIN, now=now)
        await revoke_sessions(db, user_id=user.id, now=now)
    return user


async def turned_off(
    db: AsyncSession, mail: MailPolicy, *, user: User, actor: Actor, client: Client, by: DisabledBy,
    now: datetime | None,
) -> None:
    """Two-factor off, its event and its notice, in the caller's transaction: for `disable`, `reset` and a
    password reset of an address never verified (db/services/email_flows.py)."""
    await two_factor.turn_off(db, user=user, now=now)
    await events.record(db, EventType.TWO_FACTOR_DISABLED, user_id=user.id, email=user.email, actor=actor,
                        client=client, details={"by": by.value})
    await notify_two_factor_disabled(db, mail, user=user, by=by)


async def verify(
    unit: UnitOfWork, *, policy: AuthPolicy, mail: MailPolicy, challenge: str, code: str, client: Client
) -> SignedIn:
    """The second step of signing in: a live challenge and a current code or an unused recovery code.

    Each code is counted twice before it is checked, each count committed on its own: by the sign-in
    limiter (the account's email and client IP, as a wrong password is) and against the challenge, which
    dies after `max_tries`. Only a completed sign-in clears that email's failures from that IP.
    """
    now = policy.two_factor.clock()
    async with unit.db() as db:
        found = await two_factor.find_challenge(db, challenge)
        user = await db.get(User, found.user_id) if found is not None else None
    await unit.release()  # the counting below commits on its own; nothing here may hold SQLite's lock
    if found is None or user is None or found.used_at is not None or found.expires_at <= now:
        raise invalid_code(("input", "challenge"), CHALLENGE_ENDED)
    reservation = await two_factor.count_code_attempt(
        unit, limits=policy.sign_in_limits, user=user, client=client, now=now,
    )
    if not await two_factor.take_try(unit, policy=policy.two_factor, challenge_id=found.id, now=now):
        reservation.take_back()  # no code was checked
        raise invalid_code(("input", "challenge"), CHALLENGE_ENDED)
    async with unit.db() as db:
        kind = await two_factor.accept(db, policy=policy.two_factor, user_id=user.id, code=code, now=now)
    if kind is None:
        await two_factor.refuse_code(unit, user=user, client=client, actor=ANONYMOUS)
        raise invalid_code()
    async with unit.db() as db:
        if not await two_factor.use_challenge(db, challenge_id=found.id, now=now):
            raise invalid_code(("input", "challenge"), CHALLENGE_ENDED)
        await db.refresh(user)  # as it is now: deactivated, banned or turned off meanwhile refuses the sign-in
        refusal = auth.account_refusal(user, now, require_verified=policy.require_email_verification)
        ended = not user.two_factor_enabled or not two_factor.started_with_current_password(found, user)
        if refusal is None and ended:
            raise invalid_code(("input", "challenge"), CHALLENGE_ENDED)
    if refusal is not None:
        await events.record_attempt(
            unit, EventType.SIGN_IN_FAILED, user_id=user.id, email=user.email, actor=ANONYMOUS, client=client,
            details={"reason": auth.failure_reason(refusal.code)},
        )
        raise Rejected(refusal)
    async with unit.db() as db:
        await rate_limit.clear_failures(db, email=user.email, ip_address=client.ip_address)
        signed_in = await auth.start_session(db, policy=policy, user=user, client=client, now=now)
        await events.record(db, EventType.SIGNED_IN, user_id=user.id, email=user.email, actor=Actor.user(user.id),
                            client=client, details={"twoFactor": kind.value})
        if kind is CodeKind.RECOVERY_CODE:
            await events.record(db, EventType.RECOVERY_CODE_USED, user_id=user.id, email=user.email,
                                actor=Actor.user(user.id), client=client)
            remaining = await two_factor.unused_recovery_codes(db, user.id)
            await notify_recovery_code_used(db, mail, user=user, remaining=remaining)
    return signed_in
