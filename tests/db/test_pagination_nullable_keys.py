"""Cursors on a nullable key (LAST_SIGN_IN_AT): every after/before window is exact across the NULL
boundary, and on PostgreSQL each part of a page query is an index range, so a page costs the same
at any depth (the rows before the cursor are not walked and filtered out)."""

from __future__ import annotations

import json
import random
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from db.models import User
from db.queries import UserFilter, filtered_users, user_ordering
from db.services.pagination import PageRequest, page_statement
from db.types import utcnow
from tests.support.factories import make_users, signed_in_admin, user_row

PAGE = """
query ($first: Int, $after: String, $last: Int, $before: String, $order: UserOrder) {
  users(first: $first, after: $after, last: $last, before: $before, orderBy: $order) {
    edges { cursor node { email } }
    pageInfo { hasNextPage hasPreviousPage }
  }
}"""
BASE = utcnow() - timedelta(days=3)


@pytest.fixture
async def mixed(database):
    """12 users, some never signed in (NULL key), with ties on the key, plus an admin (NULL key too);
    returns the admin's token."""
    rng = random.Random(11)
    rows = [
        user_row(last_sign_in_at=rng.choice([None, BASE, BASE + timedelta(hours=1), BASE + timedelta(hours=2)]))
        for _ in range(12)
    ]
    await make_users(database, *rows)
    _, token = await signed_in_admin(database)
    return token


async def _page(client, token, **variables) -> dict:
    body = await client.gql(PAGE, variables, token=token)
    assert "errors" not in body, body
    return body["data"]["users"]


@pytest.mark.parametrize("direction", ["ASC", "DESC"])
async def test_every_window_between_two_cursors_is_exact(client, mixed, direction):
    order = {"field": "LAST_SIGN_IN_AT", "direction": direction}
    everything = (await _page(client, mixed, first=100, order=order))["edges"]
    emails = [edge["node"]["email"] for edge in everything]
    cursors = [edge["cursor"] for edge in everything]
    for i, after in enumerate(cursors):
        for j in range(i + 1, len(cursors), 3):
            window = await _page(client, mixed, first=100, after=after, before=cursors[j], order=order)
            assert [edge["node"]["email"] for edge in window["edges"]] == emails[i + 1 : j]
            assert window["pageInfo"] == {"hasNextPage": True, "hasPreviousPage": True}
        tail = await _page(client, mixed, first=3, after=after, order=order)
        assert [edge["node"]["email"] for edge in tail["edges"]] == emails[i + 1 : i + 4]
        assert tail["pageInfo"] == {"hasNextPage": i + 4 < len(emails), "hasPreviousPage": True}
        head = await _page(client, mixed, last=3, before=after, order=order)
        assert [edge["node"]["email"] for edge in head["edges"]] == emails[max(0, i - 3) : i]
        assert head["pageInfo"] == {"hasNextPage": True, "hasPreviousPage": i > 3}


def _plan_nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", []):
        yield from _plan_nodes(child)


@pytest.mark.parametrize("descending", [False, True], ids=["ASC", "DESC"])
@pytest.mark.parametrize("cursor_key", ["value", "null"])
@pytest.mark.parametrize("backward", [False, True], ids=["after", "before"])
async def test_a_cursor_page_is_read_by_index_ranges(requires_postgres, database, mixed, descending, cursor_key, backward):
    ordering = user_ordering("LAST_SIGN_IN_AT", descending=descending)
    async with database.sessionmaker() as session:
        key = User.last_sign_in_at.is_not(None) if cursor_key == "value" else User.last_sign_in_at.is_(None)
        position = tuple((await session.execute(select(User.last_sign_in_at, User.id).where(key).limit(1))).one())
        request = PageRequest(limit=5, before=position, backward=True) if backward else PageRequest(limit=5, after=position)
        statement = page_statement(filtered_users(UserFilter()), ordering=ordering, request=request)
        sql = str(statement.compile(dialect=session.bind.dialect, compile_kwargs={"literal_binds": True}))
        # A table this small would be read whole; with whole-table reads priced out, the plan shows
        # whether the query's conditions can bound an ordered index scan.
        await session.execute(text("SET LOCAL enable_seqscan = off"))
        await session.execute(text("SET LOCAL enable_bitmapscan = off"))
        [plan] = (await session.execute(text(f"EXPLAIN (FORMAT JSON) {sql}"))).scalar_one()
    if isinstance(plan, str):
        plan = json.loads(plan)[0]
    nodes = list(_plan_nodes(plan["Plan"]))
    scans = [node for node in nodes if node["Node Type"] == "Index Scan"]
    assert scans and all(node["Index Name"] == "ix_users_last_sign_in_at_id" for node in scans), nodes
    # Every scan is a range of the index (its Index Cond bounds the key), not a walk from the start
    # that filters out the rows before the cursor; and nothing is sorted.
    assert all("last_sign_in_at" in node.get("Index Cond", "") for node in scans), scans
    assert not any("Sort" in node["Node Type"] for node in nodes), nodes
