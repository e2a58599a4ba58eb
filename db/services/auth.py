"""Signing up and in, and the viewer's password-guarded changes: how credentials are checked, limited
and turned into sessions. Resolvers and the CLI call these; they raise `Rejected` for the user's errors."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from db.models import Session, User
from db.services import events, rate_limit, two_factor
from db.services.errors import ErrorCode, Problem, Rejected
from db.services.events import EventType
from db.services.origin import ANONYMOUS, Actor, Client
from db.services.passwords import PasswordHashing
from db.services.rate_limit import RATE_LIMITED, SIGN_UP_RATE_LIMITED, Action, SignInLimits, SignUpLimits
from db.services.sessions import SessionPolicy, create_session, revoke_sessions
from db.services.users import check_new_user, email_taken, find_by_email, insert_user
from db.unit_of_work import UnitOfWork

INVALID_CREDENTIALS = "Wrong email or password"
WRONG_PASSWORD = "Wrong password"
ACCOUNT_DISABLED = "This account is disabled"
ACCOUNT_BANNED = "This account is banned"
SIGN_UP_DISABLED = "Sign-up is disabled"
EMAIL_NOT_VERIFIED = "Verify your email address first: follow the link sent to it"


@dataclass(frozen=True)
class AuthPolicy:
    """The rules of signing up and in, built once from the settings where the app starts."""

    allow_sign_up: bool
    passwords: PasswordHashing
    sessions: SessionPolicy
    sign_in_limits: SignInLimits
    sign_up_limits: SignUpLimits
    two_factor: two_factor.TwoFactorPolicy = two_factor.TwoFactorPolicy()
    # REQUIRE_EMAIL_VERIFICATION: sign-up starts no session, sign-in refuses an unverified address.
    require_email_verification: bool = False


@dataclass(frozen=True)
class SignedIn:
    user: User
    session: Session | None  # None: signed up, but the address must be verified before signing in
    token: str | None  # shown once, to the client; only its hash is stored


@dataclass(frozen=True)
class TwoFactorRequired:
    """The password was right but the account has two-factor on: `verifyTwoFactor` completes the sign-in."""

    challenge: str  # shown once, to the client; only its hash is stored


async def sign_up(
    unit: UnitOfWork,
    *,
    policy: AuthPolicy,
    email: str,
    password: str,
    name: str,
    client: Client,
    now: datetime | None = None,
) -> SignedIn:
    """Limited per client IP; a taken email is answered before any hashing (sign-up says EMAIL_TAKEN
    anyway, so its timing reveals nothing more)."""
    if not policy.allow_sign_up:
        raise Rejected(Problem(ErrorCode.SIGN_UP_DISABLED, SIGN_UP_DISABLED))
    new = check_new_user(email=email, name=name, password=password)
    async with policy.passwords.slot():
        await rate_limit.reserve(
            unit, action=Action.SIGN_UP, limits=policy.sign_up_limits.limits,
            ip_address=client.ip_address, refusal=Problem(ErrorCode.RATE_LIMITED, SIGN_UP_RATE_LIMITED), now=now,
        )
        weak = await policy.passwords.check(password, ("input", "password"), [email, name])
        if weak:
            raise Rejected(weak)
        async with unit.db() as db:
            taken = await find_by_email(db, new.email) is not None
        await unit.release()
        if taken:
            raise Rejected(email_taken(("input", "email")))
        password_hash = await policy.passwords.hash(password)
    async with unit.db() as db:
        user = await insert_user(
            db, User(email=new.email, name=new.name, password_hash=password_hash), field=("input", "email")
        )
        if policy.require_email_verification:
            signed_in = SignedIn(user, None, None)
        else:
            signed_in = await _start_session(db, policy=policy, user=user, client=client, now=now)
        await events.record(db, EventType.SIGNED_UP, user_id=user.id, email=user.email,
                            actor=Actor.user(user.id), client=client, now=now)
        return signed_in


async def sign_in(
    unit: UnitOfWork,
    *,
    policy: AuthPolicy,
    email: str,
    password: str,
    client: Client,
    now: datetime | None = None,
) -> SignedIn | TwoFactorRequired:
    """Unknown email and wrong password are the same INVALID_CREDENTIALS; ACCOUNT_DISABLED comes only
    after the right password; past a limit, RATE_LIMITED comes before any password check. An account with
    two-factor on gets a challenge instead of a session, and keeps its failures until the sign-in ends."""
    now = now or policy.two_factor.clock()  # the clock its second step is checked by
    failure = Problem(ErrorCode.INVALID_CREDENTIALS, INVALID_CREDENTIALS)
    checked: CheckedPassword | None = None
    try:
        checked = await _check_password(
            unit, policy=policy, email=email, user=None, password=password, client=client, failure=failure, now=now,
        )
        async with unit.db() as db:
            await _claim(
                db, checked, failure=failure, now=now, completes=_completes(policy, checked.user, now),
                require_verified=policy.require_email_verification,
            )
    except Rejected as rejected:
        await _sign_in_failed(unit, email, checked.user if checked else None, rejected, client=client, now=now)
        raise
    async with unit.db() as db:
        if await two_factor.required(db, checked.user.id):
            return TwoFactorRequired(await two_factor.start_challenge(
                db, policy=policy.two_factor, user=checked.user, client=client, now=now,
            ))
        await rate_limit.clear_failures(db, email=email, ip_address=client.ip_address)
        signed_in = await _start_session(db, policy=policy, user=checked.user, client=client, now=now)
        await events.record(db, EventType.SIGNED_IN, user_id=checked.user.id, email=checked.user.email,
                            actor=Actor.user(checked.user.id), client=client,
                            details={"sessionId": str(signed_in.session.id)}, now=now)
        return signed_in


# Why a sign-in failed, by the problem it gave (SIGN_IN_FAILED's `details.reason`).
_FAILURE_REASONS = {
    ErrorCode.INVALID_CREDENTIALS: "wrong_password",
    ErrorCode.RATE_LIMITED: "rate_limited",
    ErrorCode.ACCOUNT_DISABLED: "disabled",
    ErrorCode.ACCOUNT_BANNED: "banned",
}


def _storable(text: str) -> str:
    """Typed text both databases accept: no NUL (PostgreSQL refuses it), no lone surrogate, bounded."""
    return text.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")[:320]


async def _sign_in_failed(
    unit: UnitOfWork, email: str, user: User | None, rejected: Rejected, *, client: Client, now: datetime
) -> None:
    """SIGN_IN_FAILED, kept whatever the operation does. The account is looked up by email when the
    password check did not get that far (the same lookup for unknown emails: no timing difference)."""
    code = rejected.problems[0].code
    if user is None:
        async with unit.independent() as db:
            user = await find_by_email(db, email)
    reason = failure_reason(code)
    if user is None and code is ErrorCode.INVALID_CREDENTIALS:
        reason = "unknown_email"
    await events.record_attempt(
        unit, EventType.SIGN_IN_FAILED, user_id=user.id if user else None,
        email=user.email if user else _storable(email), actor=ANONYMOUS, client=client,
        details={"reason": reason}, now=now,
    )


async def change_password(
    unit: UnitOfWork,
    *,
    policy: AuthPolicy,
    user: User,
    current_password: str,
    new_password: str,
    current_session_id: uuid.UUID | None,
    revoke_other_sessions: bool,
    client: Client,
    acting: Actor | None = None,
) -> User:
    await unit.release()  # the strength estimate and the hashes below hold no connection
    weak = await policy.passwords.check(new_password, ("input", "newPassword"), [user.email, user.name])
    await _check_password(
        unit, policy=policy, email=user.email, user=user, password=current_password,
        client=client, also=weak,
        failure=Problem(ErrorCode.INVALID_CREDENTIALS, WRONG_PASSWORD, ("input", "currentPassword")),
    )
    if weak:
        raise Rejected(weak)
    async with policy.passwords.slot():
        new_hash = await policy.passwords.hash(new_password)
    async with unit.db() as db:
        user.password_hash = new_hash
        revoked = 0
        if revoke_other_sessions:
            revoked = await revoke_sessions(db, user_id=user.id, except_session_id=current_session_id)
        await db.flush()
        await events.record(db, EventType.PASSWORD_CHANGED, user_id=user.id, email=user.email,
                            actor=acting or Actor.user(user.id), client=client,
                            details={"revokedSessions": revoked})
    return user


async def delete_account(
    unit: UnitOfWork,
    *,
    policy: AuthPolicy,
    user: User,
    password: str,
    client: Client,
    code: str | None = None,
    acting: Actor | None = None,
) -> uuid.UUID:
    """Delete the user after checking their password (and, with two-factor on, a code); the database
    cascades to their sessions."""
    await _check_password(
        unit, policy=policy, email=user.email, user=user, password=password, client=client,
        failure=Problem(ErrorCode.INVALID_CREDENTIALS, WRONG_PASSWORD, ("input", "password")),
    )
    if user.two_factor_enabled:
        _, reservation = await two_factor.check_code(
            unit, policy=policy.two_factor, limits=policy.sign_in_limits, user=user, code=code, client=client,
            now=policy.two_factor.clock(), actor=Actor.user(user.id),
        )
        reservation.take_back()
    async with unit.db() as db:
        await db.delete(user)
        await db.flush()
        await events.record_deletion(db, user_id=user.id, email=user.email, actor=acting or Actor.user(user.id),
                                     client=client)
    return user.id


@dataclass(frozen=True)
class CheckedPassword:
    user: User
    seen_hash: str  # the hash the password was checked against
    upgraded_hash: str | None  # the same password hashed with the current parameters, when they changed


async def _check_password(
    unit: UnitOfWork,
    *,
    policy: AuthPolicy,
    email: str,
    user: User | None,
    password: str,
    client: Client,
    failure: Problem,
    also: Problem | None = None,
    now: datetime | None = None,
) -> CheckedPassword:
    """The account whose password this is, checked without holding a database connection.

    The operation's connection is handed back first; then a hashing slot is taken, the attempt counted
    (RATE_LIMITED past a limit, without checking), the account read by `email` unless `user` is given,
    and the connection handed back again before hashing. A wrong password leaves its attempt counted
    whatever the operation does; a right one takes it back. Nothing is written to the account here.
    """
    await unit.release()
    async with policy.passwords.slot():
        reservation = await rate_limit.reserve(
            unit, action=Action.PASSWORD, limits=policy.sign_in_limits.limits,
            email=email, ip_address=client.ip_address, refusal=Problem(ErrorCode.RATE_LIMITED, RATE_LIMITED), now=now,
        )
        if user is None:
            async with unit.db() as db:
                user = await find_by_email(db, email)
            await unit.release()
        matches, new_hash = await policy.passwords.verify(user.password_hash if user else None, password)
    if not matches:
        raise Rejected(*[p for p in (failure, also) if p])
    assert user is not None  # a matching password implies a user
    reservation.take_back()
    return CheckedPassword(user, user.password_hash, new_hash)


def _completes(policy: AuthPolicy, user: User, now: datetime) -> bool:
    """Whether the right password alone signs this account in, as last read: a refused sign-in, or one
    that still waits for its second factor, leaves `lastSignInAt` alone."""
    verified = user.email_verified or not policy.require_email_verification
    return user.is_active and not user.is_banned_at(now) and verified and not user.two_factor_enabled


async def _claim(
    db: AsyncSession,
    checked: CheckedPassword,
    *,
    failure: Problem,
    now: datetime,
    completes: bool = True,
    require_verified: bool = False,
) -> None:
    """Sign-in's last word on the account, as it is now: the password it was checked against is still
    its password, and it is active. One conditional UPDATE, which also locks the row (PostgreSQL) or the
    database (SQLite) until the operation ends: a password change, deactivation or deletion that
    committed while the hash was being checked refuses this sign-in, and one that comes later waits for
    it and then revokes its session. An outdated hash is upgraded in the same statement."""
    user = checked.user
    new_hash = checked.upgraded_hash or checked.seen_hash
    # In a savepoint, which the refusal's exception rolls back: a refused sign-in (deactivated or banned,
    # also meanwhile) neither moves `lastSignInAt` nor upgrades the hash.
    async with db.begin_nested():
        row = (await db.execute(
            update(User)
            .where(User.id == user.id, User.password_hash == checked.seen_hash)
            .values(last_sign_in_at=now if completes else User.last_sign_in_at, password_hash=new_hash)
            .returning(User.is_active, User.banned_at, User.ban_reason, User.ban_expires_at, User.email_verified)
            .execution_options(synchronize_session=False)
        )).first()
        refusal = account_refusal(row, now, require_verified=require_verified) if row is not None else failure
        if refusal is not None:  # `failure`: deleted, or its password changed meanwhile
            raise Rejected(refusal)
    set_committed_value(user, "password_hash", new_hash)
    if completes:
        set_committed_value(user, "last_sign_in_at", now)


def account_refusal(account: Any, now: datetime, *, require_verified: bool) -> Problem | None:
    """The account's own refusal of a sign-in, in the contract's order: deactivated, banned, unverified
    (where verification is required). `account` is a user or a row with those columns; both sign-in steps
    (the password here, the second factor in db/services/two_factor_flows.py) ask this."""
    if not account.is_active:
        return Problem(ErrorCode.ACCOUNT_DISABLED, ACCOUNT_DISABLED)
    if account.banned_at is not None and (account.ban_expires_at is None or account.ban_expires_at > now):
        return Problem(ErrorCode.ACCOUNT_BANNED, ban_message(account.ban_reason, account.ban_expires_at))
    if require_verified and not account.email_verified:
        return Problem(ErrorCode.EMAIL_NOT_VERIFIED, EMAIL_NOT_VERIFIED)
    return None


def failure_reason(code: ErrorCode) -> str:
    """SIGN_IN_FAILED's `details.reason` for a sign-in refused with `code`."""
    return _FAILURE_REASONS.get(code, code.value.lower())


def ban_message(reason: str | None, expires_at: datetime | None) -> str:
    """ACCOUNT_BANNED's message: the reason and the end, when there are."""
    message = ACCOUNT_BANNED
    if reason:
        message += f": {reason}"
    return message + (f" (until {expires_at.isoformat()})" if expires_at else " (no end date)")


async def _start_session(
    db: AsyncSession, *, policy: AuthPolicy, user: User, client: Client, now: datetime | None
) -> SignedIn:
    login, token = await create_session(
        db, user=user, policy=policy.sessions,
        ip_address=client.ip_address, user_agent=client.user_agent, now=now,
    )
    return SignedIn(user, login, token)


async def confirm_password(unit: UnitOfWork, *, policy: AuthPolicy, user: User, password: str, client: Client) -> None:
    """The viewer's own password, checked as `changePassword` checks it (limited, holding no connection):
    for the two-factor settings (db/services/two_factor_flows.py)."""
    await _check_password(
        unit, policy=policy, email=user.email, user=user, password=password, client=client,
        failure=Problem(ErrorCode.INVALID_CREDENTIALS, WRONG_PASSWORD, ("input", "password")),
    )


async def start_session(db: AsyncSession, *, policy: AuthPolicy, user: User, client: Client, now: datetime) -> SignedIn:
    """A completed sign-in's session (after the second factor: db/services/two_factor_flows.py)."""
    return await _start_session(db, policy=policy, user=user, client=client, now=now)


async def check_password(
    unit: UnitOfWork, *, policy: AuthPolicy, user: User, password: str, client: Client,
    field: tuple[str, ...], also: Problem | None = None,
) -> None:
    """The signed-in user's own password, for a flow that asks for it (an email change): limited and
    counted as every password check is, holding no connection while hashing."""
    await _check_password(
        unit, policy=policy, email=user.email, user=user, password=password, client=client, also=also,
        failure=Problem(ErrorCode.INVALID_CREDENTIALS, WRONG_PASSWORD, field),
    )
