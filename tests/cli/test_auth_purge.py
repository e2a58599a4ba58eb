"""`usergraph purge-sessions`: deletes sessions that ended long ago and stale rate-limit records."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from db.models import Attempt, Session, User
from db.types import utcnow
from tests.cli.test_cli import run


async def seed(database):
    now = utcnow()
    async with database.sessionmaker() as session:
        user = User(email="ann@example.com", name="Ann", password_hash="x")
        session.add(user)
        await session.flush()

        def login(name, **times):
            session.add(Session(user_id=user.id, token_hash=name.ljust(64, "0"), user_agent=name, **times))

        login("active", expires_at=now + timedelta(days=10))
        login("expired-40d", expires_at=now - timedelta(days=40))
        login("expired-2d", expires_at=now - timedelta(days=2))
        login("revoked-40d", expires_at=now + timedelta(days=5), revoked_at=now - timedelta(days=40))
        login("revoked-3h", expires_at=now + timedelta(days=5), revoked_at=now - timedelta(hours=3))
        session.add(Attempt(action="password", email="ann@example.com", created_at=now - timedelta(days=1)))
        session.add(Attempt(action="password", email="ann@example.com", created_at=now))
        await session.commit()


async def remaining(database):
    async with database.sessionmaker() as session:
        return sorted((await session.scalars(select(Session.user_agent))).all())


async def test_purge_deletes_sessions_that_ended_before_the_cutoff(database):
    await seed(database)
    result = run("purge-sessions")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines() == [
        "deleted 2 ended session(s) and 1 rate-limit attempt(s) older than its windows",
        "deleted 0 ended two-factor challenge(s)",
        "deleted 0 used or expired link token(s) and 0 sent message(s) from the outbox",
    ]
    assert await remaining(database) == ["active", "expired-2d", "revoked-3h"]
    async with database.sessionmaker() as session:
        assert len((await session.scalars(select(Attempt))).all()) == 1

    result = run("purge-sessions", "--older-than", "90m")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("deleted 2 ended session(s)")
    assert await remaining(database) == ["active"]


@pytest.mark.parametrize("duration, kept", [("12h", ["active", "revoked-3h"]), ("3d", ["active", "expired-2d", "revoked-3h"])])
async def test_purge_accepts_days_hours_and_minutes(database, duration, kept):
    await seed(database)
    result = run("purge-sessions", "--older-than", duration)
    assert result.returncode == 0, result.stderr
    assert await remaining(database) == kept


def test_purge_refuses_a_malformed_duration():
    result = run("purge-sessions", "--older-than", "30 days")
    assert result.returncode == 1
    assert result.stderr.strip() == "usergraph purge-sessions: invalid duration '30 days': use a whole number with d, h or m (30d, 12h, 90m)"
