"""Signing up and in, and the viewer's password-guarded changes: how credentials are checked, limited
and turned into sessions. Resolvers and the CLI call these; they raise `Rejected` for the user's errors."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from api.security.passwords import Argon2Params, hash_password, hashing_slot, verify_password
from api.settings import Settings
from db.models import Session, User
from db.services import rate_limit
from db.services.errors import ErrorCode, Problem, Rejected
from db.services.rate_limit import SignInLimits
from db.services.sessions import SessionPolicy, create_session, revoke_sessions
from db.services.users import create_user, find_by_email
from db.services.validation import check_password
from db.types import utcnow

INVALID_CREDENTIALS = "Wrong email or password"
WRONG_PASSWORD = "Wrong password"
RATE_LIMITED = "Too many failed attempts; try again later"
ACCOUNT_DISABLED = "This account is disabled"
SIGN_UP_DISABLED = "Sign-up is disabled"


@dataclass(frozen=True)
class Client:
    """Where a request comes from, as recorded on its session and counted by the rate limiter."""

    ip_address: str | None = None
    user_agent: str | None = None


@dataclass(frozen=True)
class SignedIn:
    user: User
    session: Session
    token: str  # shown once, to the client; only its hash is stored


async def sign_up(
    session: AsyncSession,
    *,
    settings: Settings,
    email: str,
    password: str,
    name: str,
    client: Client,
    now: datetime | None = None,
) -> SignedIn:
    if not settings.allow_sign_up:
        raise Rejected(Problem(ErrorCode.SIGN_UP_DISABLED, SIGN_UP_DISABLED))
    async with hashing_slot(settings):
        user = await create_user(
            session, email=email, name=name, password=password,
            password_params=Argon2Params.from_settings(settings),
        )
        return await _start_session(session, settings=settings, user=user, client=client, now=now)


async def sign_in(
    session: AsyncSession,
    *,
    settings: Settings,
    email: str,
    password: str,
    client: Client,
    now: datetime | None = None,
) -> SignedIn:
    """Unknown email and wrong password are the same INVALID_CREDENTIALS; ACCOUNT_DISABLED comes only
    after the right password; past the limit, RATE_LIMITED comes before any password check."""
    now = now or utcnow()
    async with hashing_slot(settings):
        user = await find_by_email(session, email)
        await _check_password(
            session, settings=settings, email=email, user=user, password=password, client=client,
            failure=Problem(ErrorCode.INVALID_CREDENTIALS, INVALID_CREDENTIALS), now=now,
        )
        assert user is not None  # a matching password implies a user
        if not user.is_active:
            raise Rejected(Problem(ErrorCode.ACCOUNT_DISABLED, ACCOUNT_DISABLED))
        await rate_limit.clear_failures(session, email=email)
        return await _start_session(session, settings=settings, user=user, client=client, now=now)


async def change_password(
    session: AsyncSession,
    *,
    settings: Settings,
    user: User,
    current_password: str,
    new_password: str,
    current_session_id: uuid.UUID | None,
    revoke_other_sessions: bool,
    client: Client,
) -> User:
    weak = check_password(new_password, ("input", "newPassword"), user_inputs=[user.email, user.name])
    async with hashing_slot(settings):
        await _check_password(
            session, settings=settings, email=user.email, user=user, password=current_password,
            client=client, also=weak,
            failure=Problem(ErrorCode.INVALID_CREDENTIALS, WRONG_PASSWORD, ("input", "currentPassword")),
        )
        if weak:
            raise Rejected(weak)
        user.password_hash = await hash_password(new_password, Argon2Params.from_settings(settings))
    if revoke_other_sessions:
        await revoke_sessions(session, user_id=user.id, except_session_id=current_session_id)
    await session.flush()
    return user


async def delete_account(
    session: AsyncSession, *, settings: Settings, user: User, password: str, client: Client
) -> uuid.UUID:
    """Delete the user after checking their password; the database cascades to their sessions."""
    async with hashing_slot(settings):
        await _check_password(
            session, settings=settings, email=user.email, user=user, password=password, client=client,
            failure=Problem(ErrorCode.INVALID_CREDENTIALS, WRONG_PASSWORD, ("input", "password")),
        )
    await session.delete(user)
    await session.flush()
    return user.id


async def _check_password(
    session: AsyncSession,
    *,
    settings: Settings,
    email: str,
    user: User | None,
    password: str,
    client: Client,
    failure: Problem,
    also: Problem | None = None,
    now: datetime | None = None,
) -> None:
    """Refuse when rate-limited (without checking), count a wrong password as a failure, and store an
    upgraded hash when the stored one used outdated Argon2 parameters."""
    limits = SignInLimits.from_settings(settings)
    if await rate_limit.is_limited(session, email=email, ip_address=client.ip_address, limits=limits, now=now):
        raise Rejected(Problem(ErrorCode.RATE_LIMITED, RATE_LIMITED))
    matches, new_hash = await verify_password(
        user.password_hash if user else None, password, Argon2Params.from_settings(settings)
    )
    if not matches:
        await rate_limit.record_failure(session, email=email, ip_address=client.ip_address, now=now)
        raise Rejected(*[p for p in (failure, also) if p])
    if new_hash:
        user.password_hash = new_hash


async def _start_session(
    session: AsyncSession, *, settings: Settings, user: User, client: Client, now: datetime | None
) -> SignedIn:
    login, token = await create_session(
        session, user=user, policy=SessionPolicy.from_settings(settings),
        ip_address=client.ip_address, user_agent=client.user_agent, now=now,
    )
    return SignedIn(user, login, token)
