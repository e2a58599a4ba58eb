"""Password reset, email verification and email change: the rules of CONTRACT.md's "Email flows".

Each flow writes its link token, its messages (db/services/outbox.py) and its events in the operation's
transaction, so a rolled-back operation sends nothing. Limits go through the rate limiter (insert, commit,
count), before anything of the operation is written: SQLite has a single writer, and the limiter's own
short transactions must not wait on the operation's. Resolvers call these; they raise `Rejected`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import insert, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Attempt, User
from db.services import auth, events, link_tokens, rate_limit, two_factor_flows
from db.services.errors import ErrorCode, Problem, Rejected
from db.services.events import EventType
from db.services.link_tokens import Purpose
from db.services.mail_messages import Kind, MailPolicy, queue, queue_notice
from db.services.origin import ANONYMOUS, Actor, Client
from db.services.passwords import PasswordHashing
from db.services.rate_limit import Action, Limit, Scope
from db.services.sessions import revoke_sessions
from db.services.two_factor_notices import DisabledBy
from db.services.users import EMAIL_TAKEN, find_by_email
from db.services.validation import check_password_length, email_key, normalize_email
from db.types import utcnow
from db.unit_of_work import UnitOfWork

INVALID_TOKEN = "This link is invalid or has expired; ask for a new one"
TOO_MANY_REQUESTS = "Too many requests; try again later"
ALREADY_YOURS = "This is already the account's email address"
EMAIL_OR_VIEWER = "Sign in, or give the email address to verify"
RESET_PATH, VERIFY_PATH, CONFIRM_PATH = "/reset-password", "/verify-email", "/confirm-email"
HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class EmailFlowPolicy:
    """The email flows' rules, built once from the settings."""

    mail: MailPolicy
    reset_ttl: timedelta = timedelta(hours=1)
    verification_ttl: timedelta = timedelta(hours=24)
    change_ttl: timedelta = timedelta(hours=24)
    reset_mails_per_email: int = 3  # an hour; more requests get the same answer and send nothing
    requests_per_ip: int = 10  # an hour: reset requests, anonymous verification requests (each on its own)
    verification_mails_per_account: int = 3  # an hour, sign-up's included
    change_mails_per_account: int = 3  # an hour
    token_failures_per_ip: int = 20  # refused link tokens in `token_failure_window`, per client IP
    token_failure_window: timedelta = timedelta(minutes=15)

    @property
    def longest_window(self) -> timedelta:
        return max(HOUR, self.token_failure_window)


def _invalid_token(field: tuple[str, ...] = ("input", "token")) -> Rejected:
    return Rejected(Problem(ErrorCode.INVALID_TOKEN, INVALID_TOKEN, field))


def _rate_limited() -> Problem:
    return Problem(ErrorCode.RATE_LIMITED, TOO_MANY_REQUESTS)


def _valid_for(ttl: timedelta) -> str:
    hours = ttl.total_seconds() / 3600
    if hours >= 1 and hours == int(hours):
        return "1 hour" if hours == 1 else f"{int(hours)} hours"
    minutes = max(1, round(ttl.total_seconds() / 60))
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


async def _within(unit: UnitOfWork, action: Action, limit: int, *, email: str | None = None,
                  ip_address: str | None = None, window: timedelta = HOUR, now: datetime) -> bool:
    """Count one more under a limit; False (and nothing counted) when the limit is reached."""
    scope = Scope.EMAIL if email is not None else Scope.IP
    try:
        await rate_limit.reserve(unit, action=action, limits=(Limit(scope, limit, window),), email=email,
                                 ip_address=ip_address, refusal=_rate_limited(), now=now)
    except Rejected:
        return False
    return True


async def _limit_per_ip(unit: UnitOfWork, action: Action, limit: int, client: Client, now: datetime,
                        window: timedelta = HOUR) -> rate_limit.Reservation:
    return await rate_limit.reserve(
        unit, action=action, limits=(Limit(Scope.IP, limit, window),), ip_address=client.ip_address,
        refusal=_rate_limited(), now=now,
    )


# --- password reset -------------------------------------------------------------------------------------


async def request_password_reset(
    unit: UnitOfWork, *, policy: EmailFlowPolicy, email: str, client: Client, now: datetime | None = None
) -> None:
    """The same answer, after the same kind of work, whether or not an account has `email`: the per-IP
    limit, the per-email cap, one lookup and one token row (a decoy no link carries for an unknown email)."""
    now = now or utcnow()
    normalized, problem = normalize_email(email, ("input", "email"))
    if problem:
        raise Rejected(problem)
    await unit.release()
    await _limit_per_ip(unit, Action.RESET_REQUEST, policy.requests_per_ip, client, now)
    mail_allowed = await _within(unit, Action.RESET_MAIL, policy.reset_mails_per_email, email=normalized, now=now)
    async with unit.db() as db:
        user = await find_by_email(db, normalized)
        if user is None or not user.is_active:
            if mail_allowed:
                await link_tokens.issue(db, user=None, purpose=Purpose.RESET_PASSWORD, ttl=policy.reset_ttl, now=now)
            return
        await events.record(db, EventType.PASSWORD_RESET_REQUESTED, user_id=user.id, email=user.email,
                            actor=ANONYMOUS, client=client, details={"mailed": mail_allowed})
        if not mail_allowed:
            return
        token = await link_tokens.issue(db, user=user, purpose=Purpose.RESET_PASSWORD, ttl=policy.reset_ttl, now=now)
        await queue(
            db, policy.mail, Kind.RESET_PASSWORD, to=user.email, now=now, email=user.email,
            link=policy.mail.link(RESET_PATH, token), valid_for=_valid_for(policy.reset_ttl),
        )


async def reset_password(
    unit: UnitOfWork,
    *,
    policy: EmailFlowPolicy,
    passwords: PasswordHashing,
    token: str,
    new_password: str,
    client: Client,
    now: datetime | None = None,
) -> None:
    """Set a new password with a reset link's token: the token is looked at first (INVALID_TOKEN before
    any hashing), the password estimated and hashed holding no connection, then the token used once. The
    address is then proven: it is marked verified. Every session ends; nobody is signed in."""
    now = now or utcnow()
    too_short = check_password_length(new_password, ("input", "newPassword"))
    await unit.release()
    refused = await _limit_per_ip(unit, Action.LINK_TOKEN, policy.token_failures_per_ip, client, now,
                                  policy.token_failure_window)
    async with unit.db() as db:
        user = await link_tokens.peek(db, token, Purpose.RESET_PASSWORD, now=now)
    await unit.release()
    if user is None:
        raise _invalid_token()
    refused.take_back()
    if too_short:
        raise Rejected(too_short)
    async with passwords.slot():
        weak = await passwords.check(new_password, ("input", "newPassword"), [user.email, user.name])
        if weak:
            raise Rejected(weak)
        new_hash = await passwords.hash(new_password)
    async with unit.db() as db:
        redeemed = await link_tokens.redeem(db, token, Purpose.RESET_PASSWORD, now=now)
        if redeemed is None:  # used or changed while the password was hashed
            raise _invalid_token()
        user = redeemed.user
        proven_before = user.email_verified
        user.password_hash = new_hash
        user.email_verified = True
        await db.flush()
        await revoke_sessions(db, user_id=user.id)
        await link_tokens.retire_all(db, user_id=user.id, now=now)
        await turn_two_factor_off_if_address_was_unproven(db, policy.mail, user, proven_before=proven_before,
                                                          client=client, now=now)
        await events.record(db, EventType.PASSWORD_RESET, user_id=user.id, email=user.email,
                            actor=Actor.user(user.id), client=client)
        await notify_password_changed(db, policy.mail, user, how="reset with a link sent to this address", now=now)


async def turn_two_factor_off_if_address_was_unproven(
    db: AsyncSession, mail: MailPolicy, user: User, *, proven_before: bool, client: Client, now: datetime
) -> None:
    """CONTRACT.md: a reset of a never-verified address also turns two-factor off, as the user through the
    link (whoever set it up never proved the address; the link just did). A reset of a verified address
    leaves it on: the next sign-in still asks for a code."""
    if proven_before or not user.two_factor_enabled:
        return
    await two_factor_flows.turned_off(db, mail, user=user, actor=Actor.user(user.id), client=client,
                                      by=DisabledBy.PASSWORD_RESET, now=now)


# --- email verification -----------------------------------------------------------------------------------


async def sign_up(
    unit: UnitOfWork,
    *,
    auth_policy: auth.AuthPolicy,
    policy: EmailFlowPolicy,
    email: str,
    password: str,
    name: str,
    client: Client,
    now: datetime | None = None,
) -> auth.SignedIn:
    """`auth.sign_up`, then a verification link to the new address (it counts toward the hourly cap)."""
    now = now or utcnow()
    signed_in = await auth.sign_up(unit, policy=auth_policy, email=email, password=password, name=name,
                                   client=client, now=now)
    user = signed_in.user
    async with unit.db() as db:
        await _send_verification(db, policy, user, now=now)
    # Counted once the operation's transaction has ended (SQLite's one writer is this operation now).
    key, when = rate_limit.failure_key(user.email), now
    unit.after_end(lambda db: db.execute(insert(Attempt).values(
        id=uuid.uuid4(), action=Action.VERIFICATION_MAIL.value, email=key, created_at=when,
    )))
    return signed_in


async def request_email_verification(
    unit: UnitOfWork,
    *,
    policy: EmailFlowPolicy,
    viewer: User | None,
    email: str | None,
    client: Client,
    now: datetime | None = None,
) -> None:
    """A new verification link: to the viewer (RATE_LIMITED past the hourly cap), or without a viewer to
    `email` if an unverified account has it (always the same answer; the cap then sends nothing)."""
    now = now or utcnow()
    await unit.release()
    if viewer is not None:
        if viewer.email_verified:
            return
        if not await _within(unit, Action.VERIFICATION_MAIL, policy.verification_mails_per_account,
                             email=viewer.email, now=now):
            raise Rejected(_rate_limited())
        async with unit.db() as db:
            await _send_verification(db, policy, viewer, now=now)
        return
    if email is None:
        raise Rejected(Problem(ErrorCode.INVALID_INPUT, EMAIL_OR_VIEWER, ("email",)))
    normalized, problem = normalize_email(email, ("email",))
    if problem:
        raise Rejected(problem)
    await _limit_per_ip(unit, Action.VERIFICATION_REQUEST, policy.requests_per_ip, client, now)
    async with unit.db() as db:
        user = await find_by_email(db, normalized)
    await unit.release()
    if user is None or user.email_verified or not user.is_active:
        return
    if not await _within(unit, Action.VERIFICATION_MAIL, policy.verification_mails_per_account,
                         email=user.email, now=now):
        return
    async with unit.db() as db:
        await _send_verification(db, policy, user, now=now)


async def _send_verification(db: AsyncSession, policy: EmailFlowPolicy, user: User, *, now: datetime) -> None:
    token = await link_tokens.issue(db, user=user, purpose=Purpose.VERIFY_EMAIL, ttl=policy.verification_ttl, now=now)
    await queue(
        db, policy.mail, Kind.VERIFY_EMAIL, to=user.email, now=now, name=user.name, email=user.email,
        link=policy.mail.link(VERIFY_PATH, token), valid_for=_valid_for(policy.verification_ttl),
    )


async def verify_email(
    unit: UnitOfWork, *, policy: EmailFlowPolicy, token: str, client: Client, now: datetime | None = None
) -> User:
    """Mark the address verified with a verification link's token; returns the account."""
    now = now or utcnow()
    await unit.release()
    refused = await _limit_per_ip(unit, Action.LINK_TOKEN, policy.token_failures_per_ip, client, now,
                                  policy.token_failure_window)
    async with unit.db() as db:
        redeemed = await link_tokens.redeem(db, token, Purpose.VERIFY_EMAIL, now=now)
        if redeemed is None:
            raise _invalid_token()
        refused.take_back()
        user = redeemed.user
        if not user.email_verified:
            user.email_verified = True
            await db.flush()
            await events.record(db, EventType.EMAIL_VERIFIED, user_id=user.id, email=user.email,
                                actor=Actor.user(user.id), client=client)
        return user


# --- email change -------------------------------------------------------------------------------------------


async def request_email_change(
    unit: UnitOfWork,
    *,
    policy: EmailFlowPolicy,
    auth_policy: auth.AuthPolicy,
    user: User,
    new_email: str,
    password: str,
    client: Client,
    now: datetime | None = None,
) -> None:
    """After the viewer's password: a confirmation link to the new address (which must be free) and a
    notice without any token to the current one."""
    now = now or utcnow()
    normalized, problem = normalize_email(new_email, ("input", "newEmail"))
    await auth.check_password(unit, policy=auth_policy, user=user, password=password, client=client,
                              field=("input", "password"), also=problem)
    if problem:
        raise Rejected(problem)
    if email_key(normalized) == user.email_key:
        raise Rejected(Problem(ErrorCode.INVALID_INPUT, ALREADY_YOURS, ("input", "newEmail")))
    async with unit.db() as db:
        taken = await find_by_email(db, normalized) is not None
    await unit.release()
    if taken:
        raise Rejected(Problem(ErrorCode.EMAIL_TAKEN, EMAIL_TAKEN, ("input", "newEmail")))
    if not await _within(unit, Action.EMAIL_CHANGE_MAIL, policy.change_mails_per_account, email=user.email, now=now):
        raise Rejected(_rate_limited())
    async with unit.db() as db:
        # Only the newest address asked for can be confirmed.
        await link_tokens.retire_all(db, user_id=user.id, purpose=Purpose.CHANGE_EMAIL, now=now)
        token = await link_tokens.issue(db, user=user, purpose=Purpose.CHANGE_EMAIL, ttl=policy.change_ttl,
                                        new_email=normalized, now=now)
        await events.record(db, EventType.EMAIL_CHANGE_REQUESTED, user_id=user.id, email=user.email,
                            actor=Actor.user(user.id), client=client, details={"new_email": normalized})
        await queue(
            db, policy.mail, Kind.CONFIRM_EMAIL_CHANGE, to=normalized, now=now, name=user.name, new_email=normalized,
            link=policy.mail.link(CONFIRM_PATH, token), valid_for=_valid_for(policy.change_ttl),
        )
        await queue(
            db, policy.mail, Kind.EMAIL_CHANGE_REQUESTED, to=user.email, now=now, name=user.name, email=user.email,
            new_email=normalized,
        )


async def confirm_email_change(
    unit: UnitOfWork, *, policy: EmailFlowPolicy, token: str, client: Client, now: datetime | None = None
) -> User:
    """Switch the account to the address the link was sent to, now verified; EMAIL_TAKEN when another
    account took it meanwhile (the unique index settles a race). Needs no sign-in."""
    now = now or utcnow()
    await unit.release()
    refused = await _limit_per_ip(unit, Action.LINK_TOKEN, policy.token_failures_per_ip, client, now,
                                  policy.token_failure_window)
    async with unit.db() as db:
        redeemed = await link_tokens.redeem(db, token, Purpose.CHANGE_EMAIL, now=now)
        if redeemed is None or redeemed.new_email is None:
            raise _invalid_token()
        refused.take_back()
        user, old_email, new_email = redeemed.user, redeemed.user.email, redeemed.new_email
        try:
            async with db.begin_nested():  # a duplicate leaves the operation's transaction usable
                await db.execute(
                    update(User).where(User.id == user.id)
                    # A Core UPDATE: the key is written beside the email (db/models/user.py).
                    .values(email=new_email, email_key=email_key(new_email), email_verified=True, updated_at=now)
                    .execution_options(synchronize_session=False)
                )
        except IntegrityError:
            raise Rejected(Problem(ErrorCode.EMAIL_TAKEN, EMAIL_TAKEN)) from None
        await db.refresh(user)
        await link_tokens.retire_all(db, user_id=user.id, now=now)
        await events.record(db, EventType.EMAIL_CHANGED, user_id=user.id, email=new_email,
                            actor=Actor.user(user.id), client=client, details={"old_email": old_email})
        await notify_email_changed(db, policy.mail, user, old_email=old_email,
                                   how="changed with a link sent to the new address", now=now)
        return user


# --- security notices ----------------------------------------------------------------------------------------


async def change_password(
    unit: UnitOfWork,
    *,
    auth_policy: auth.AuthPolicy,
    policy: EmailFlowPolicy,
    user: User,
    current_password: str,
    new_password: str,
    current_session_id: uuid.UUID | None,
    revoke_other_sessions: bool,
    client: Client,
) -> User:
    """`auth.change_password`, then a notice to the account's address."""
    user = await auth.change_password(
        unit, policy=auth_policy, user=user, current_password=current_password, new_password=new_password,
        current_session_id=current_session_id, revoke_other_sessions=revoke_other_sessions, client=client,
    )
    async with unit.db() as db:
        await link_tokens.retire_all(db, user_id=user.id)
        await notify_password_changed(db, policy.mail, user, how="changed")
    return user


async def notify_password_changed(
    db: AsyncSession, mail: MailPolicy, user: User, *, how: str, now: datetime | None = None
) -> None:
    """To the account's address, without any link: its password was `how` ("changed", "reset ...")."""
    await queue_notice(db, mail, Kind.PASSWORD_CHANGED, to=user.email, now=now, name=user.name, email=user.email,
                       how=how)


async def notify_email_changed(
    db: AsyncSession, mail: MailPolicy, user: User, *, old_email: str, how: str, now: datetime | None = None
) -> None:
    """To the old address, without any link: the account's email was `how` and is now `user.email`."""
    await queue_notice(db, mail, Kind.EMAIL_CHANGED, to=old_email, now=now, name=user.name, email=old_email,
                       new_email=user.email, how=how)


# What a context gets when the app does not say (tests building one by hand): development defaults.
DEFAULT_POLICY = EmailFlowPolicy(
    mail=MailPolicy(app_url="http://localhost:3000", app_name="usergraph", mail_from="usergraph <no-reply@localhost>")
)
