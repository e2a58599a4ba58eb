"""Who sees what: anonymous requests, users and admins against every read and admin mutation."""

import pytest

from db.models import Role
from schema.relay import to_global_id
from tests.support.factories import make_session, make_user, signed_in, signed_in_admin

ADMIN_MUTATIONS = {
    "createUser": 'mutation { createUser(input: {email: "new@example.com", name: "New", password: "correct horse battery"}) { user { id } errors { code } } }',
    "updateUser": 'mutation($id: ID!) { updateUser(id: $id, input: {name: "Renamed"}) { user { name } errors { code } } }',
    "deleteUser": "mutation($id: ID!) { deleteUser(id: $id) { deletedUserId errors { code } } }",
    "revokeUserSessions": "mutation($id: ID!) { revokeUserSessions(userId: $id) { revokedCount errors { code } } }",
}
READS = {
    "user": "query($id: ID!) { user(id: $id) { id } }",
    "node": "query($id: ID!) { node(id: $id) { id } }",
    "nodes": "query($id: ID!) { nodes(ids: [$id]) { id } }",
    "users": "query { users { totalCount } }",
}


def error_code(body):
    return body["errors"][0]["extensions"]["code"]


@pytest.mark.parametrize("field", [*READS, *ADMIN_MUTATIONS])
async def test_anonymous_requests_are_unauthenticated(client, database, field):
    other = await make_user(database)
    query = READS.get(field) or ADMIN_MUTATIONS[field]
    variables = {"id": to_global_id("User", other.id)} if "$id" in query else None
    body = await client.gql(query, variables)
    assert error_code(body) == "UNAUTHENTICATED"
    assert body["data"] in (None, {field: None})


@pytest.mark.parametrize("field", [*ADMIN_MUTATIONS, "users"])
async def test_non_admins_are_forbidden_admin_fields(client, database, field):
    _, token = await signed_in(database)
    other = await make_user(database)
    query = READS.get(field) or ADMIN_MUTATIONS[field]
    variables = {"id": to_global_id("User", other.id)} if "$id" in query else None
    body = await client.gql(query, variables, token=token)
    assert error_code(body) == "FORBIDDEN"
    # Nothing happened to the other user.
    after = await client.gql(READS["user"], {"id": to_global_id("User", other.id)}, token=(await signed_in_admin(database))[1])
    assert after["data"]["user"] is not None


@pytest.mark.parametrize("field", ["user", "node", "nodes"])
async def test_another_users_account_is_invisible_to_a_non_admin(client, database, field):
    _, token = await signed_in(database)
    other = await make_user(database)
    body = await client.gql(READS[field], {"id": to_global_id("User", other.id)}, token=token)
    assert "errors" not in body
    assert body["data"][field] in (None, [None])


async def test_another_users_session_is_invisible_to_a_non_admin(client, database):
    _, token = await signed_in(database)
    other_session, _ = await make_session(database, await make_user(database))
    body = await client.gql(READS["node"], {"id": to_global_id("Session", other_session.id)}, token=token)
    assert body == {"data": {"node": None}}


@pytest.mark.parametrize("field", ["user", "node", "nodes"])
async def test_a_user_sees_itself(client, database, field):
    me, token = await signed_in(database)
    body = await client.gql(READS[field], {"id": to_global_id("User", me.id)}, token=token)
    found = body["data"][field]
    assert (found[0] if isinstance(found, list) else found) == {"id": to_global_id("User", me.id)}


async def test_a_user_sees_its_own_sessions(client, database):
    me, token = await signed_in(database)
    second, _ = await make_session(database, me)
    body = await client.gql(
        "query($id: ID!) { node(id: $id) { ... on Session { user { id } } } "
        "viewer { sessions { totalCount edges { node { id } } } } }",
        {"id": to_global_id("Session", second.id)},
        token=token,
    )
    assert body["data"]["node"] == {"user": {"id": to_global_id("User", me.id)}}
    assert body["data"]["viewer"]["sessions"]["totalCount"] == 2
    assert to_global_id("Session", second.id) in {e["node"]["id"] for e in body["data"]["viewer"]["sessions"]["edges"]}


async def test_an_admin_sees_everyone_and_their_sessions(client, database):
    _, token = await signed_in_admin(database)
    other = await make_user(database)
    login, _ = await make_session(database, other)
    body = await client.gql(
        "query($u: ID!, $s: ID!) { user(id: $u) { id sessions { edges { node { id } } } } "
        "node(id: $s) { id } nodes(ids: [$u, $s]) { id } users { totalCount } }",
        {"u": to_global_id("User", other.id), "s": to_global_id("Session", login.id)},
        token=token,
    )
    assert "errors" not in body
    data = body["data"]
    assert data["user"]["id"] == to_global_id("User", other.id)
    assert data["user"]["sessions"]["edges"] == [{"node": {"id": to_global_id("Session", login.id)}}]
    assert data["node"] == {"id": to_global_id("Session", login.id)}
    assert [n["id"] for n in data["nodes"]] == [to_global_id("User", other.id), to_global_id("Session", login.id)]
    assert data["users"]["totalCount"] == 2


@pytest.mark.parametrize("field", list(ADMIN_MUTATIONS))
async def test_admins_may_run_admin_mutations(client, database, field):
    _, token = await signed_in_admin(database)
    other = await make_user(database)
    body = await client.gql(ADMIN_MUTATIONS[field], {"id": to_global_id("User", other.id)} if field != "createUser" else None, token=token)
    assert "errors" not in body, body
    assert body["data"][field]["errors"] == []


async def test_an_inactive_admin_is_anonymous(client, database):
    _, token = await signed_in(database, role=Role.ADMIN, is_active=False)
    assert error_code(await client.gql(READS["users"], token=token)) == "UNAUTHENTICATED"
