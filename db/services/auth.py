"""Signing up and in, and the viewer's password-guarded changes: how credentials are checked, limited
and turned into sessions. Resolvers and the CLI call these; they raise `Rejected` for the user's errors."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from db.models import Session, User
from db.services import rate_limit
from db.services.errors import ErrorCode, Problem, Rejected
from db.services.origin import Client
from db.services.passwords import PasswordHashing
from db.services.rate_limit import RATE_LIMITED, SIGN_UP_RATE_LIMITED, Action, SignInLimits, SignUpLimits
from db.services.sessions import SessionPolicy, create_session, revoke_sessions
from db.services.users import check_new_user, email_taken, find_by_email, insert_user
from db.types import utcnow
from db.unit_of_work import UnitOfWork

INVALID_CREDENTIALS = "Wrong email or password"
WRONG_PASSWORD = "Wrong password"
ACCOUNT_DISABLED = "This account is disabled"
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
    # REQUIRE_EMAIL_VERIFICATION: sign-up starts no session, sign-in refuses an unverified address.
    require_email_verification: bool = False


@dataclass(frozen=True)
class SignedIn:
    user: User
    session: Session | None  # None: signed up, but the address must be verified before signing in
    token: str | None  # shown once, to the client; only its hash is stored


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
            return SignedIn(user, None, None)
        return await _start_session(db, policy=policy, user=user, client=client, now=now)


async def sign_in(
    unit: UnitOfWork,
    *,
    policy: AuthPolicy,
    email: str,
    password: str,
    client: Client,
    now: datetime | None = None,
) -> SignedIn:
    """Unknown email and wrong password are the same INVALID_CREDENTIALS; ACCOUNT_DISABLED comes only
    after the right password; past a limit, RATE_LIMITED comes before any password check."""
    now = now or utcnow()
    failure = Problem(ErrorCode.INVALID_CREDENTIALS, INVALID_CREDENTIALS)
    checked = await _check_password(
        unit, policy=policy, email=email, user=None, password=password, client=client, failure=failure, now=now,
    )
    async with unit.db() as db:
        await _claim(db, checked, failure=failure, now=now, require_verified=policy.require_email_verification)
        await rate_limit.clear_failures(db, email=email, ip_address=client.ip_address)
        return await _start_session(db, policy=policy, user=checked.user, client=client, now=now)


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
        if revoke_other_sessions:
            await revoke_sessions(db, user_id=user.id, except_session_id=current_session_id)
        await db.flush()
    return user


async def delete_account(unit: UnitOfWork, *, policy: AuthPolicy, user: User, password: str, client: Client) -> uuid.UUID:
    """Delete the user after checking their password; the database cascades to their sessions."""
    await _check_password(
        unit, policy=policy, email=user.email, user=user, password=password, client=client,
        failure=Problem(ErrorCode.INVALID_CREDENTIALS, WRONG_PASSWORD, ("input", "password")),
    )
    async with unit.db() as db:
        await db.delete(user)
        await db.flush()
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


async def _claim(
    db: AsyncSession, checked: CheckedPassword, *, failure: Problem, now: datetime, require_verified: bool = False
) -> None:
    """Sign-in's last word on the account, as it is now: the password it was checked against is still
    its password, and it is active. One conditional UPDATE, which also locks the row (PostgreSQL) or the
    database (SQLite) until the operation ends: a password change, deactivation or deletion that
    committed while the hash was being checked refuses this sign-in, and one that comes later waits for
    it and then revokes its session. An outdated hash is upgraded in the same statement."""
    user = checked.user
    new_hash = checked.upgraded_hash or checked.seen_hash
    row = (await db.execute(
        update(User)
        .where(User.id == user.id, User.password_hash == checked.seen_hash)
        .values(last_sign_in_at=now, password_hash=new_hash)
        .returning(User.is_active, User.email_verified)
        .execution_options(synchronize_session=False)
    )).first()
    if row is None:  # deleted, or its password changed meanwhile
        raise Rejected(failure)
    if not row.is_active:
        raise Rejected(Problem(ErrorCode.ACCOUNT_DISABLED, ACCOUNT_DISABLED))
    if require_verified and not row.email_verified:
        raise Rejected(Problem(ErrorCode.EMAIL_NOT_VERIFIED, EMAIL_NOT_VERIFIED))
    set_committed_value(user, "password_hash", new_hash)
    set_committed_value(user, "last_sign_in_at", now)


async def _start_session(
    db: AsyncSession, *, policy: AuthPolicy, user: User, client: Client, now: datetime | None
) -> SignedIn:
    login, token = await create_session(
        db, user=user, policy=policy.sessions,
        ip_address=client.ip_address, user_agent=client.user_agent, now=now,
    )
    return SignedIn(user, login, token)


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
