"""The benchmark's PostgreSQL database: created, migrated and seeded once; plus a known admin token."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from db.services.tokens import hash_token, new_token
from db.services.seed import ADMIN_EMAIL
from db.services.validation import email_key

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/usergraph_bench"
# Sessions the benchmark creates carry this user agent, so each run can remove the previous run's.
BENCH_USER_AGENT = "usergraph-bench"


def bench_url() -> str:
    return os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)


def libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def usergraph(*args: str, url: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "api.cli", *args],
        env={**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )


async def prepare(url: str, *, users: int, sessions_per_user: int, fresh: bool) -> int:
    """Create (or with `fresh`, recreate), migrate and seed the database; returns its user count."""
    parsed = make_url(url)
    server = await asyncpg.connect(libpq(url).replace(f"/{parsed.database}", "/postgres", 1))
    try:
        if fresh:
            await server.execute(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')
        if not await server.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", parsed.database):
            await server.execute(f'CREATE DATABASE "{parsed.database}"')
    finally:
        await server.close()
    usergraph("migrate", url=url)
    connection = await asyncpg.connect(libpq(url))
    try:
        if not await connection.fetchval("SELECT count(*) FROM users"):
            print(f"seeding {users} users x {sessions_per_user} sessions ...", file=sys.stderr)
            usergraph("seed", "--users", str(users), "--sessions-per-user", str(sessions_per_user), url=url)
        await connection.execute("ANALYZE")  # fresh statistics, however the data got there
        return await connection.fetchval("SELECT count(*) FROM users")
    finally:
        await connection.close()


async def admin_token(url: str) -> str:
    """A fresh session for the demo admin; the previous runs' benchmark sessions are removed first.

    It expires a full TTL from now, so sliding expiry writes nothing during the run.
    """
    token, now = new_token(), datetime.now(UTC)
    connection = await asyncpg.connect(libpq(url))
    try:
        await connection.execute("DELETE FROM sessions WHERE user_agent LIKE $1", f"{BENCH_USER_AGENT}%")
        admin_id = await connection.fetchval("SELECT id FROM users WHERE email_key = $1", email_key(ADMIN_EMAIL))
        if admin_id is None:
            raise SystemExit(f"{ADMIN_EMAIL} is missing from the bench database; rerun with --fresh")
        await connection.execute(
            "INSERT INTO sessions (id, user_id, token_hash, expires_at, ip_address, user_agent, created_at,"
            " updated_at) VALUES ($1, $2, $3, $4, '127.0.0.1', $5, $6, $6)",
            uuid.uuid4(), admin_id, hash_token(token), now + timedelta(days=30), BENCH_USER_AGENT, now,
        )
    finally:
        await connection.close()
    return token


async def demo_emails(url: str, count: int) -> list[str]:
    """Active ordinary demo users, who can sign in with the demo password."""
    connection = await asyncpg.connect(libpq(url))
    try:
        rows = await connection.fetch(
            "SELECT email FROM users WHERE is_active AND role = 'USER' ORDER BY created_at LIMIT $1", count
        )
    finally:
        await connection.close()
    return [row["email"] for row in rows]
