"""How a query finds its viewer: on PostgreSQL reached directly, one statement straight to asyncpg on a
connection of its own, and no transaction at all (db/services/sessions.py); behind a transaction-mode
pooler and on SQLite, through SQLAlchemy inside the operation's transaction. Mutations keep the ORM
lookup (tests/schema/test_auth_*)."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

import pytest
from sqlalchemy import event

from db.engine import Database
from tests.support.auth import VIEWER, sign_up
from tests.schema.test_auth_sessions import age_session, load

_TRANSACTION_CONTROL = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK)", re.IGNORECASE)


@pytest.mark.parametrize(
    ("url", "pooler", "direct"),
    [
        ("sqlite:///./lookup.db", None, False),
        ("postgresql://app@db.example.com/app", None, True),
        ("postgresql://app@db.example.com/app", "transaction", False),
        ("postgresql://app@ep-1-pooler.example.com/app", None, False),  # detected from the host
    ],
)
async def test_direct_reads_only_on_postgresql_reached_directly(settings, url, pooler, direct):
    database = Database.from_settings(settings.model_copy(update={"database_url": url, "db_pooler": pooler}))
    try:
        assert database.direct_reads is direct
    finally:
        await database.dispose()


async def _logged_queries(client) -> list[str]:
    """Every query asyncpg sends from now on, on connections opened from now on (the pool is emptied)."""
    logged: list[str] = []
    engine = client.app.state.database.engine

    @event.listens_for(engine.sync_engine, "connect")
    def log_queries(dbapi_connection, _record) -> None:
        dbapi_connection.driver_connection.add_query_logger(lambda query: logged.append(query.query))

    await engine.dispose()
    return logged


async def test_a_query_finds_its_viewer_in_one_statement_without_a_transaction(requires_postgres, client):
    payload = await sign_up(client)
    logged = await _logged_queries(client)
    body = await client.gql(VIEWER, token=payload["token"])
    await asyncio.sleep(0)  # asyncpg calls its query loggers soon after each query
    assert body["data"]["viewer"] is not None
    assert len(logged) == 1 and "token_hash" in logged[0], logged


async def test_a_query_that_slides_the_expiry_writes_in_a_transaction_of_its_own(requires_postgres, client, database):
    payload = await sign_up(client)
    await age_session(database, (await load(database, payload["session"]["id"])).id, by=timedelta(days=2))
    logged = await _logged_queries(client)
    assert (await client.gql(VIEWER, token=payload["token"]))["data"]["viewer"] is not None
    await asyncio.sleep(0)
    # The lookup outside any transaction, then the UPDATE (a prepared statement, not logged) in its own.
    assert "token_hash" in logged[0], logged
    control = [match.group(1).upper() for match in map(_TRANSACTION_CONTROL.match, logged[1:]) if match]
    assert control == ["BEGIN", "COMMIT"], logged
