"""Test data written straight to the database: users, their sessions and signed-in tokens."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

from db.models import Role, Session, User
from db.services.sessions import SessionPolicy, create_session
from db.types import utcnow

POLICY = SessionPolicy(ttl=timedelta(days=30), refresh_after=timedelta(days=1))
_serial = itertools.count(1)


def user_row(
    *, email: str | None = None, name: str = "Ann", role: Role = Role.USER, **fields
) -> User:
    """An unsaved user; emails default to a fixed-width, unique `user00001@example.com`."""
    return User(
        email=email or f"user{next(_serial):05d}@example.com", name=name, role=role, password_hash="x", **fields
    )


async def make_users(database, *rows: User) -> list[User]:
    async with database.sessionmaker() as session:
        session.add_all(rows)
        await session.commit()
    return list(rows)


async def make_user(database, **fields) -> User:
    (user,) = await make_users(database, user_row(**fields))
    return user


async def make_session(
    database, user: User, *, now: datetime | None = None, revoked: bool = False
) -> tuple[Session, str]:
    """A session of `user` (created at `now`) and its bearer token."""
    async with database.sessionmaker() as session:
        owner = await session.get(User, user.id)
        login, token = await create_session(
            session, user=owner, policy=POLICY, ip_address="127.0.0.1", user_agent="pytest", now=now
        )
        if revoked:
            login.revoked_at = utcnow()
        await session.commit()
        return login, token


async def signed_in(database, *, role: Role = Role.USER, **fields) -> tuple[User, str]:
    """A user with one active session; returns the user and the session's token."""
    user = await make_user(database, role=role, **fields)
    _, token = await make_session(database, user)
    return user, token


async def signed_in_admin(database, **fields) -> tuple[User, str]:
    return await signed_in(database, role=Role.ADMIN, name=fields.pop("name", "Ada"), **fields)
