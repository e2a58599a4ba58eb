"""The rate limiter: attempts counted in the database, so limits hold across API processes and restarts.

An attempt is written and committed before the work it guards (a password check, a sign-up), then the
attempts in the window are counted, its own included. Each attempt therefore sees every attempt committed
before it, so of N concurrent attempts against a limit of L at most L get through, in any number of
processes and on either database (a conditional insert in one statement would not be exact under
PostgreSQL's READ COMMITTED). Being committed on its own, an attempt counts whatever its operation does
afterwards; only a right password takes its attempt back, once the operation has ended.
"""

from __future__ import annotations

import hashlib
import ipaddress
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from sqlalchemy import and_, delete, func, insert, or_, select

from db.models import Attempt
from db.services.errors import Problem, Rejected
from db.services.validation import email_key
from db.types import utcnow
from db.unit_of_work import UnitOfWork

_EMAIL_MAX, _IP_MAX = 320, 45
RATE_LIMITED = "Too many failed attempts; try again later"
SIGN_UP_RATE_LIMITED = "Too many sign-ups from this address; try again later"


class Action(str, Enum):
    PASSWORD = "password"  # a password check: sign-in, password change, account deletion
    SIGN_UP = "sign_up"
    # Email flows (db/services/email_flows.py).
    RESET_REQUEST = "reset_request"  # requestPasswordReset, counted per client IP
    RESET_MAIL = "reset_mail"  # a reset message sent, counted per email
    VERIFICATION_REQUEST = "verify_request"  # an anonymous requestEmailVerification, per client IP
    VERIFICATION_MAIL = "verify_mail"  # a verification message sent, per email (sign-up's included)
    EMAIL_CHANGE_MAIL = "change_mail"  # an email-change confirmation sent, per account's email
    LINK_TOKEN = "link_token"  # a link token refused, per client IP


class Scope(str, Enum):
    EMAIL_AND_IP = "email+ip"
    EMAIL = "email"
    IP = "ip"


@dataclass(frozen=True)
class Limit:
    scope: Scope
    max_attempts: int
    window: timedelta


@dataclass(frozen=True)
class SignInLimits:
    """Failed password checks: strict per email and client IP, so someone else's guesses from another IP
    do not lock the owner out; a much higher ceiling per email from all IPs; and per IP, across emails."""

    per_email_and_ip: int
    per_email: int
    per_ip: int
    window: timedelta

    @property
    def limits(self) -> tuple[Limit, ...]:
        return (
            Limit(Scope.EMAIL_AND_IP, self.per_email_and_ip, self.window),
            Limit(Scope.EMAIL, self.per_email, self.window),
            Limit(Scope.IP, self.per_ip, self.window),
        )


@dataclass(frozen=True)
class SignUpLimits:
    per_ip: int
    window: timedelta

    @property
    def limits(self) -> tuple[Limit, ...]:
        return (Limit(Scope.IP, self.per_ip, self.window),)


def failure_key(email: str) -> str:
    """The email as the limiter counts it: the accounts' own key (NFKC, case-folded), whether or not the
    address is valid, so `Ann@x.io` and `ANN@x.io` share one count. A key longer than the column keeps
    a digest of the whole, so two long addresses with one prefix never share a count."""
    key = email_key(email).replace("\x00", "\ufffd")  # PostgreSQL refuses NUL in text
    if len(key) <= _EMAIL_MAX:
        return key
    return f"{key[:_EMAIL_MAX - 65]}#{hashlib.sha256(key.encode()).hexdigest()}"


def ip_key(ip_address: str | None) -> str | None:
    """The client IP as the limiter counts it: an IPv6 address by its /64, which one subscriber usually
    holds whole (counting single addresses would give them 2^64 tries)."""
    if not ip_address:
        return None
    try:
        address = ipaddress.ip_address(ip_address)
    except ValueError:
        return ip_address[:_IP_MAX]
    if address.version == 6:
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


@dataclass(frozen=True)
class Reservation:
    """An attempt that got through the limiter; it stays counted unless `take_back` is called."""

    unit: UnitOfWork
    attempt_id: uuid.UUID

    def take_back(self) -> None:
        """The attempt did not fail (the password was right): stop counting it once the operation ends."""
        attempt_id = self.attempt_id
        self.unit.after_end(lambda session: session.execute(delete(Attempt).where(Attempt.id == attempt_id)))


async def reserve(
    unit: UnitOfWork,
    *,
    action: Action,
    limits: tuple[Limit, ...],
    email: str | None = None,
    ip_address: str | None = None,
    refusal: Problem,
    now: datetime | None = None,
) -> Reservation:
    """Count an attempt before it is made; raise `Rejected(refusal)` (and count nothing) when any limit
    is already reached. Each step is a short transaction of its own: no connection is held afterwards."""
    now = now or utcnow()
    key = failure_key(email) if email is not None else None
    ip_address = ip_key(ip_address)
    attempt_id = uuid.uuid4()
    async with unit.independent() as db:
        await db.execute(insert(Attempt).values(
            id=attempt_id, action=action.value, email=key, ip_address=ip_address, created_at=now,
        ))
    counted = [limit for limit in limits if _applies(limit, key, ip_address)]
    if counted:
        async with unit.independent() as db:
            counts = (await db.execute(_count(action, counted, key, ip_address, now))).one()
        if any(count > limit.max_attempts for count, limit in zip(counts, counted)):
            async with unit.independent() as db:
                await db.execute(delete(Attempt).where(Attempt.id == attempt_id))
            raise Rejected(refusal)
    return Reservation(unit, attempt_id)


def _applies(limit: Limit, key: str | None, ip_address: str | None) -> bool:
    needs_email = limit.scope in (Scope.EMAIL, Scope.EMAIL_AND_IP)
    needs_ip = limit.scope in (Scope.IP, Scope.EMAIL_AND_IP)
    return (key is not None or not needs_email) and (ip_address is not None or not needs_ip)


def _count(action: Action, limits: list[Limit], key: str | None, ip_address: str | None, now: datetime):
    """One statement counting, for each limit, the attempts in its window (the new one included)."""
    by_email, by_ip = Attempt.email == key, Attempt.ip_address == ip_address
    matches = {Scope.EMAIL_AND_IP: and_(by_email, by_ip), Scope.EMAIL: by_email, Scope.IP: by_ip}
    oldest = now - max(limit.window for limit in limits)
    # Rows of either key: an email's attempts (from any IP) and an IP's attempts (with any email).
    any_key = [by_email] if any(limit.scope is not Scope.IP for limit in limits) else []
    if any(limit.scope is Scope.IP for limit in limits):
        any_key.append(by_ip)
    return select(
        *(func.count().filter(matches[limit.scope], Attempt.created_at > now - limit.window) for limit in limits)
    ).where(Attempt.action == action.value, Attempt.created_at > oldest, or_(*any_key))


async def count_with_change(
    db, *, action: str, email: str, limit: int, window: timedelta, shared: Collection[str],
    now: datetime | None = None,
) -> bool:
    """Count one `action` for `email` in the caller's transaction, within a `limit` that the actions in
    `shared` share over `window`; unlike `reserve`, for what should count only when the change it belongs
    to commits. Past the limit an action is refused (False, nothing counted) only if it was already
    counted in the window: the first of each kind always gets through. Exact where the change locks a row
    first (later ones wait, then see this one); otherwise concurrent transactions may each pass once."""
    now = now or utcnow()
    key = failure_key(email)
    every, this = (await db.execute(
        select(func.count(), func.count().filter(Attempt.action == action))
        .where(Attempt.action.in_([action, *shared]), Attempt.email == key, Attempt.created_at > now - window)
    )).one()
    if every >= limit and this > 0:
        return False
    await db.execute(insert(Attempt).values(id=uuid.uuid4(), action=action, email=key, created_at=now))
    return True


async def clear_failures(session, *, email: str, ip_address: str | None) -> None:
    """Forget the failed password checks of an email from one client IP, after a sign-in completed
    there (failures from other IPs, and the IP's with other emails, still count)."""
    key = failure_key(email)
    ip_condition = Attempt.ip_address == ip_key(ip_address) if ip_address else Attempt.ip_address.is_(None)
    await session.execute(delete(Attempt).where(
        Attempt.action == Action.PASSWORD.value, Attempt.email == key, ip_condition,
    ))


async def purge_attempts(session, *, before: datetime) -> int:
    """Delete attempts made before `before` (older than every limit's window); returns how many."""
    result = await session.execute(delete(Attempt).where(Attempt.created_at < before))
    return result.rowcount or 0
