"""`usergraph seed`: demo users and sessions, bulk-inserted, appending safely to a non-empty database."""

from __future__ import annotations

import os
import re
import subprocess
from datetime import timedelta

from sqlalchemy import func, select

from db.services.passwords import hash_password_sync, verify_password_sync
from db.models import Role, Session, SessionStatus, User
from db.services.seed import ADMIN_EMAIL, DEMO_PASSWORD, seed_demo_data
from db.types import utcnow
from tests.support.server import ROOT, usergraph_command
from api.policies import password_hashing
from api.settings import get_settings


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        usergraph_command(*args), capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


async def _seed(database, users: int, sessions_per_user: int, **kwargs):
    async with database.sessionmaker() as session:
        result = await seed_demo_data(
            session,
            users=users,
            sessions_per_user=sessions_per_user,
            password_hash=hash_password_sync(DEMO_PASSWORD, password_hashing(get_settings()).params),
            session_ttl=timedelta(days=30),
            **kwargs,
        )
        await session.commit()
    return result


async def _all(database, model):
    async with database.sessionmaker() as session:
        return list(await session.scalars(select(model)))


async def test_seed_creates_the_requested_users_and_sessions(database):
    result = await _seed(database, 40, 3)

    users, sessions = await _all(database, User), await _all(database, Session)
    assert (result.users, result.sessions, result.admin_created) == (40, 120, True)
    assert len(users) == 40 and len(sessions) == 120
    assert len({user.email.lower() for user in users}) == 40
    assert len({login.token_hash for login in sessions}) == 120
    assert all(re.fullmatch(r"[0-9a-f]{64}", login.token_hash) for login in sessions)
    per_user = {user.id: 0 for user in users}
    for login in sessions:
        per_user[login.user_id] += 1
    assert set(per_user.values()) == {3}


async def test_seeded_data_is_varied_like_real_traffic(database):
    await _seed(database, 60, 3)

    now = utcnow()
    sessions = await _all(database, Session)
    assert {login.status_at(now) for login in sessions} == set(SessionStatus)
    assert len({login.created_at for login in sessions}) == len(sessions)
    user_created = {user.id: user.created_at for user in await _all(database, User)}
    assert all(user_created[login.user_id] <= login.created_at <= now for login in sessions)
    assert all(login.created_at < login.expires_at for login in sessions)
    assert all(login.revoked_at is None or login.created_at <= login.revoked_at <= now for login in sessions)
    users = await _all(database, User)
    assert all(" " in user.name and "@" in user.email for user in users)


async def test_everyone_shares_the_demo_password_and_the_admin_can_sign_in(database):
    await _seed(database, 5, 1)

    users = await _all(database, User)
    assert all(verify_password_sync(user.password_hash, DEMO_PASSWORD, password_hashing(get_settings()).params)[0] for user in users)
    admins = [user for user in users if user.role is Role.ADMIN]
    assert [admin.email for admin in admins] == [ADMIN_EMAIL]
    assert admins[0].is_active and admins[0].email_verified


async def test_seeding_again_appends_without_breaking_email_uniqueness(database):
    first = await _seed(database, 30, 2)
    second = await _seed(database, 30, 2)

    users = await _all(database, User)
    assert first.admin_created and not second.admin_created
    assert len(users) == 60 and len({user.email.lower() for user in users}) == 60
    assert len(await _all(database, Session)) == 120


async def test_an_existing_admin_email_in_another_case_is_left_alone(database):
    async with database.sessionmaker() as session:
        session.add(User(email="ADMIN@Example.com", name="Owner", password_hash="x", role=Role.ADMIN))
        await session.commit()

    result = await _seed(database, 10, 1)

    async with database.sessionmaker() as session:
        owner = await session.scalar(select(User).where(func.lower(User.email) == ADMIN_EMAIL))
        total = await session.scalar(select(func.count()).select_from(User))
    assert not result.admin_created
    assert owner.name == "Owner" and owner.password_hash == "x"
    assert total == 11


async def test_seed_command_reports_counts_and_the_demo_password(database):
    result = run("seed", "--users", "12", "--sessions-per-user", "2")

    assert result.returncode == 0, result.stderr
    assert "seeded 12 users and 24 sessions" in result.stdout
    assert DEMO_PASSWORD in result.stdout and ADMIN_EMAIL in result.stdout
    assert "100%" in result.stderr  # the progress bar reached the end
    async with database.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Session)) == 24
        hashes = list(await session.scalars(select(Session.token_hash)))
    assert not any(token_hash in result.stdout + result.stderr for token_hash in hashes)


def test_seed_command_refuses_negative_counts_on_one_line():
    result = run("seed", "--users", "-1")

    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_seed_command_on_an_unmigrated_database_says_what_to_do(tmp_path):
    result = subprocess.run(
        usergraph_command("seed", "--users", "3"), capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"},
    )

    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "usergraph migrate" in result.stderr


def test_seed_command_has_help():
    result = run("seed", "--help")
    assert result.returncode == 0 and "--sessions-per-user" in result.stdout
