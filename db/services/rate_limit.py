"""The sign-in rate limiter: recent failures per email and per client IP, counted in the database so the
limit holds across API processes and restarts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.settings import Settings
from db.models import SignInFailure
from db.types import utcnow

_EMAIL_MAX, _IP_MAX = 320, 45


@dataclass(frozen=True)
class SignInLimits:
    per_email: int
    per_ip: int
    window: timedelta

    @classmethod
    def from_settings(cls, settings: Settings) -> SignInLimits:
        return cls(
            per_email=settings.sign_in_max_failures_per_email,
            per_ip=settings.sign_in_max_failures_per_ip,
            window=timedelta(minutes=settings.sign_in_window_minutes),
        )


def failure_key(email: str) -> str:
    """The email as the limiter counts it: trimmed and lower-cased, whether or not it is valid."""
    return email.strip().lower().replace("\x00", "\ufffd")[:_EMAIL_MAX]  # PostgreSQL refuses NUL in text


async def is_limited(
    session: AsyncSession,
    *,
    email: str,
    ip_address: str | None,
    limits: SignInLimits,
    now: datetime | None = None,
) -> bool:
    """True when the email or the IP already has as many recent failures as the limit allows."""
    since = (now or utcnow()) - limits.window
    conditions = [SignInFailure.email == failure_key(email)]
    if ip_address:
        conditions.append(SignInFailure.ip_address == ip_address)
    statement = select(*(func.count().filter(condition) for condition in conditions)).where(
        SignInFailure.created_at > since, or_(*conditions)
    )
    counts = (await session.execute(statement)).one()
    return any(count >= limit for count, limit in zip(counts, (limits.per_email, limits.per_ip)))


async def record_failure(
    session: AsyncSession, *, email: str, ip_address: str | None, now: datetime | None = None
) -> None:
    session.add(
        SignInFailure(
            email=failure_key(email),
            ip_address=ip_address[:_IP_MAX] if ip_address else None,
            created_at=now or utcnow(),
        )
    )
    await session.flush()


async def clear_failures(session: AsyncSession, *, email: str) -> None:
    """Forget an email's failures after a successful sign-in (the IP's count is left alone)."""
    await session.execute(delete(SignInFailure).where(SignInFailure.email == failure_key(email)))


async def purge_failures(session: AsyncSession, *, before: datetime) -> int:
    """Delete failures recorded before `before`; returns how many."""
    result = await session.execute(delete(SignInFailure).where(SignInFailure.created_at < before))
    return result.rowcount or 0
