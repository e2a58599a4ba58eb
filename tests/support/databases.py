"""Create and drop the per-run PostgreSQL database the tests use."""

from __future__ import annotations

import asyncio

import asyncpg
from sqlalchemy.engine import make_url


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _admin(base_url: str, sql: str) -> None:
    connection = await asyncpg.connect(_libpq(base_url))
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def create_test_database(base_url: str, name: str) -> str:
    """A fresh database beside the one `base_url` names; returns its URL."""
    asyncio.run(_admin(base_url, f'CREATE DATABASE "{name}"'))
    return make_url(base_url).set(database=name).render_as_string(hide_password=False)


def drop_test_database(url: str) -> None:
    parsed = make_url(url)
    base = parsed.set(database="postgres").render_as_string(hide_password=False)
    asyncio.run(_admin(base, f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))


def run_on(settings, url: str, work):
    """Run `work(connection)` on a fresh engine for `url`, in a transaction that commits (a migration
    test's way to read or seed a database at some revision)."""
    from db.engine import create_engine

    async def go():
        engine = create_engine(settings, url=url)
        try:
            async with engine.begin() as connection:
                return await connection.run_sync(work)
        finally:
            await engine.dispose()

    return asyncio.run(go())
