"""Statements per request depend on the query's shape, not on how many rows it returns; sibling
resolvers that all hit the database share the operation's session safely."""

import asyncio
import re
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import event

from db.models import User
from db.services.sessions import create_session
from db.types import utcnow
from schema.relay import to_global_id
from tests.support.factories import POLICY, make_users, signed_in_admin, user_row

NESTED = """query($n: Int) { users(first: $n) { edges { node { id email
  sessions(first: 5) { edges { node { id user { email } } } } } } } }"""
NESTED_WITH_COUNTS = """query($n: Int) { users(first: $n) { totalCount pageInfo { hasNextPage } edges { node { id
  sessions(first: 2, status: null) { totalCount pageInfo { hasNextPage } edges { cursor node { id status } } } } } } }"""
_NOT_COUNTED = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|SELECT 1\s*$)", re.IGNORECASE)


@contextmanager
def counted_statements(engine):
    statements: list[str] = []

    def record(_conn, _cursor, statement, _parameters, _context, _executemany):
        if not _NOT_COUNTED.match(statement):
            statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


async def populate(database, users=35, sessions_each=4):
    rows = await make_users(database, *(user_row() for _ in range(users)))
    start = utcnow() - timedelta(hours=1)
    async with database.sessionmaker() as session:
        for user in rows:
            owner = await session.get(User, user.id)
            for minute in range(sessions_each):
                await create_session(session, user=owner, policy=POLICY, ip_address=None, user_agent=None,
                                     now=start + timedelta(minutes=minute))
        await session.commit()
    return rows


async def statements_for(client, query, variables, token):
    with counted_statements(client.app.state.database.engine) as statements:
        body = await client.gql(query, variables, token=token)
    assert "errors" not in body, body
    return body, statements


async def test_nested_users_and_sessions_cost_the_same_for_one_user_and_a_hundred(client, database):
    await populate(database)
    _, token = await signed_in_admin(database)
    one, few = await statements_for(client, NESTED, {"n": 1}, token)
    many, lots = await statements_for(client, NESTED, {"n": 100}, token)
    users = many["data"]["users"]["edges"]
    assert len(users) == 36 and len(one["data"]["users"]["edges"]) == 1
    assert sum(len(u["node"]["sessions"]["edges"]) for u in users) == 35 * 4 + 1
    assert all(s["node"]["user"]["email"] == u["node"]["email"] for u in users for s in u["node"]["sessions"]["edges"])
    assert len(lots) == len(few), "\n".join(lots)


async def test_counts_and_page_flags_are_batched_too(client, database):
    await populate(database)
    _, token = await signed_in_admin(database)
    _, few = await statements_for(client, NESTED_WITH_COUNTS, {"n": 1}, token)
    many, lots = await statements_for(client, NESTED_WITH_COUNTS, {"n": 100}, token)
    edges = many["data"]["users"]["edges"]
    assert all(e["node"]["sessions"]["pageInfo"]["hasNextPage"] == (e["node"]["sessions"]["totalCount"] > 2) for e in edges)
    assert len(lots) == len(few), "\n".join(lots)

    # Second pages of everyone's sessions (after each first page's cursor) also cost the same.
    after = edges[0]["node"]["sessions"]["edges"][-1]["cursor"]
    query = """query($n: Int, $after: String) { users(first: $n) { edges { node {
      sessions(first: 2, after: $after) { totalCount pageInfo { hasPreviousPage } edges { node { id } } } } } } }"""
    _, few = await statements_for(client, query, {"n": 1, "after": after}, token)
    _, lots = await statements_for(client, query, {"n": 100, "after": after}, token)
    assert len(lots) == len(few), "\n".join(lots)


async def test_sibling_fields_that_all_query_run_safely_together(client, database):
    users = await populate(database, users=6, sessions_each=2)
    admin, token = await signed_in_admin(database)
    query = """query($x: ID!, $y: ID!, $z: ID!) {
      a: user(id: $x) { email sessions { totalCount edges { node { user { email } } } } }
      b: user(id: $y) { email sessions(status: null) { totalCount } }
      c: users(first: 5) { totalCount pageInfo { hasNextPage hasPreviousPage } edges { node { email } } }
      d: node(id: $z) { id }
      e: nodes(ids: [$x, $y, $z]) { id }
      f: viewer { email sessions { totalCount } }
      g: users(last: 2, orderBy: {field: NAME, direction: DESC}) { totalCount edges { node { email } } }
    }"""
    variables = {"x": to_global_id("User", users[0].id), "y": to_global_id("User", users[1].id),
                 "z": to_global_id("User", admin.id)}
    bodies = await asyncio.gather(*(client.gql(query, variables, token=token) for _ in range(5)))
    for body in bodies:
        assert "errors" not in body, body
        assert body == bodies[0]
    data = bodies[0]["data"]
    assert data["a"]["sessions"]["totalCount"] == 2 and data["c"]["totalCount"] == 7
    assert data["e"][2] == data["d"] == {"id": to_global_id("User", admin.id)}
