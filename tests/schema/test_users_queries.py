"""Reading users and sessions by ID, and a user's sessions: unknown IDs, malformed IDs, statuses."""

import base64
import uuid
from datetime import timedelta

import pytest

from db.types import utcnow
from schema.relay import to_global_id
from tests.support.factories import make_session, make_user, signed_in, signed_in_admin

MALFORMED_IDS = ["", "not-base64!", "VXNlcg", base64.b64encode(b"User:not-a-uuid").decode(), "\u00e9" * 10]


@pytest.mark.parametrize("field", ["user", "node", "nodes"])
async def test_unknown_ids_give_null(client, database, field):
    _, token = await signed_in_admin(database)
    query = {"user": "query($id: ID!) { user(id: $id) { id } }", "node": "query($id: ID!) { node(id: $id) { id } }",
             "nodes": "query($id: ID!) { nodes(ids: [$id, $id]) { id } }"}[field]
    for unknown in (to_global_id("User", uuid.uuid4()), to_global_id("Session", uuid.uuid4()), to_global_id("Team", uuid.uuid4())):
        body = await client.gql(query, {"id": unknown}, token=token)
        assert body == {"data": {field: [None, None] if field == "nodes" else None}}


@pytest.mark.parametrize("field", ["user", "node", "nodes"])
@pytest.mark.parametrize("malformed", MALFORMED_IDS)
async def test_malformed_ids_are_bad_user_input(client, database, field, malformed):
    _, token = await signed_in_admin(database)
    query = {"user": "query($id: ID!) { user(id: $id) { id } }", "node": "query($id: ID!) { node(id: $id) { id } }",
             "nodes": "query($id: ID!) { nodes(ids: [$id]) { id } }"}[field]
    response = await client.post("/graphql", json={"query": query, "variables": {"id": malformed}},
                                 headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_a_session_id_is_not_a_user(client, database):
    me, token = await signed_in(database)
    login, _ = await make_session(database, me)
    body = await client.gql("query($id: ID!) { user(id: $id) { id } }", {"id": to_global_id("Session", login.id)}, token=token)
    assert body == {"data": {"user": None}}


async def test_nodes_keep_the_order_of_the_ids(client, database):
    _, token = await signed_in_admin(database)
    users = [await make_user(database) for _ in range(3)]
    ids = [to_global_id("User", u.id) for u in reversed(users)] + [to_global_id("User", uuid.uuid4())]
    body = await client.gql("query($ids: [ID!]!) { nodes(ids: $ids) { id ... on User { email } } }", {"ids": ids}, token=token)
    assert [n and n["id"] for n in body["data"]["nodes"]] == ids[:3] + [None]


async def test_too_many_ids_at_once_are_refused(client, database):
    _, token = await signed_in_admin(database)
    ids = [to_global_id("User", uuid.uuid4()) for _ in range(101)]
    body = await client.gql("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": ids}, token=token)
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_session_status_filter(client, database):
    me, token = await signed_in(database)
    expired, _ = await make_session(database, me, now=utcnow() - timedelta(days=40))
    revoked, _ = await make_session(database, me, revoked=True)
    query = "query($s: SessionStatus) { viewer { sessions(status: $s) { totalCount edges { node { id status } } } } }"

    async def statuses(status):
        body = await client.gql(query, {"s": status}, token=token)
        connection = body["data"]["viewer"]["sessions"]
        assert connection["totalCount"] == len(connection["edges"])
        return sorted(edge["node"]["status"] for edge in connection["edges"])

    assert await statuses("ACTIVE") == ["ACTIVE"]
    assert await statuses("EXPIRED") == ["EXPIRED"]
    assert await statuses("REVOKED") == ["REVOKED"]
    assert await statuses(None) == ["ACTIVE", "EXPIRED", "REVOKED"]
    default = await client.gql("{ viewer { sessions { edges { node { status isCurrent } } } } }", token=token)
    assert default["data"]["viewer"]["sessions"]["edges"] == [{"node": {"status": "ACTIVE", "isCurrent": True}}]


async def test_sessions_are_newest_first_and_paginate(client, database):
    me = await make_user(database)
    start = utcnow() - timedelta(hours=1)
    made = [(await make_session(database, me, now=start + timedelta(minutes=i)))[0] for i in range(5)]
    made.append((await make_session(database, me, now=start + timedelta(minutes=4)))[0])  # same time as made[4]
    current, token = await make_session(database, me)
    made.append(current)
    expected = [to_global_id("Session", s.id) for s in sorted(made, key=lambda s: (s.created_at, s.id.hex), reverse=True)]
    query = "query($after: String) { viewer { sessions(first: 2, after: $after, status: null) { totalCount edges { node { id } } pageInfo { hasNextPage hasPreviousPage endCursor } } } }"
    seen, after, previous_flags = [], None, []
    while True:
        connection = (await client.gql(query, {"after": after}, token=token))["data"]["viewer"]["sessions"]
        seen += [edge["node"]["id"] for edge in connection["edges"]]
        previous_flags.append(connection["pageInfo"]["hasPreviousPage"])
        assert connection["totalCount"] == 7
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
    assert seen == expected
    assert previous_flags == [False, True, True, True]


@pytest.mark.parametrize("cursor", ["bogus", base64.urlsafe_b64encode(b'["CREATED_AT","2026-01-01T00:00:00+00:00","x"]').decode(), "W10"])
async def test_malformed_session_cursor_is_bad_user_input(client, database, cursor):
    _, token = await signed_in(database)
    body = await client.gql("query($c: String) { viewer { sessions(after: $c) { totalCount } } }", {"c": cursor}, token=token)
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


@pytest.mark.parametrize("first", [-1, 101])
async def test_session_page_size_is_capped(client, database, first):
    _, token = await signed_in(database)
    body = await client.gql("query($n: Int) { viewer { sessions(first: $n) { totalCount } } }", {"n": first}, token=token)
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_datetimes_carry_an_offset(client, database):
    _, token = await signed_in(database)
    body = await client.gql("{ viewer { createdAt lastSignInAt sessions { edges { node { expiresAt } } } } }", token=token)
    viewer = body["data"]["viewer"]
    for value in (viewer["createdAt"], viewer["lastSignInAt"], viewer["sessions"]["edges"][0]["node"]["expiresAt"]):
        assert value.endswith("+00:00")


@pytest.mark.parametrize("malformed", MALFORMED_IDS)
async def test_a_malformed_id_in_nodes_is_null_in_its_own_place_with_an_error_at_that_path(make_client, database,
                                                                                          malformed):
    _, token = await signed_in_admin(database)
    user = await make_user(database)
    ids = [to_global_id("User", user.id), malformed, to_global_id("User", user.id)]
    query = "query($ids: [ID!]!) { nodes(ids: $ids) { id ... on User { email } } }"
    for fast_path in (True, False):  # the execution plans and the standard executor agree
        async with make_client(graphql_fast_path=fast_path) as client:
            body = await client.gql(query, {"ids": ids}, token=token)
        first, missing, again = body["data"]["nodes"]
        assert first == again == {"id": ids[0], "email": user.email} and missing is None
        [error] = body["errors"]
        assert error["path"] == ["nodes", 1] and error["extensions"]["code"] == "BAD_USER_INPUT"
