"""impersonateUser / stopImpersonating: a bearer token for a one-hour session of the user, no cookie, the
restricted fields refused, and the session ended when its admin loses the right."""

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from db.models import Role, Session, User
from db.types import utcnow
from schema.relay import from_global_id, to_global_id
from tests.support.auth import VIEWER, codes
from tests.support.factories import make_session, make_user, signed_in, signed_in_admin

IMPERSONATE = """mutation($id: ID!) {
  impersonateUser(id: $id) { token session { id expiresAt isImpersonation } user { id email } errors { code message } }
}"""
SESSIONS = "{ viewer { sessions { edges { node { isImpersonation impersonatedBy { email } } } } } }"


def gid(user):
    return to_global_id("User", user.id)


async def impersonate(client, admin_token, user):
    body = await client.gql(IMPERSONATE, {"id": gid(user)}, token=admin_token)
    return body["data"]["impersonateUser"]


async def session_row(database, session_gid):
    async with database.sessionmaker() as db:
        return await db.get(Session, from_global_id(session_gid)[1])


async def test_the_token_acts_as_the_user_for_at_most_an_hour(client, database):
    admin, token = await signed_in_admin(database, email="ada@example.com")
    user = await make_user(database, email="bo@example.com")
    before = utcnow()
    payload = await impersonate(client, token, user)
    assert payload["errors"] == [] and payload["user"]["email"] == "bo@example.com"
    assert payload["session"]["isImpersonation"] is True
    row = await session_row(database, payload["session"]["id"])
    assert row.impersonated_by_id == admin.id and row.user_id == user.id
    assert before + timedelta(hours=1) - timedelta(minutes=1) <= row.expires_at <= utcnow() + timedelta(hours=1)

    as_user = payload["token"]
    assert (await client.gql(VIEWER, token=as_user))["data"]["viewer"]["email"] == "bo@example.com"
    # Used again and again, the session never slides past its hour (a normal one would slide now).
    for _ in range(2):
        await client.gql("mutation { updateViewer(input: {}) { errors { code } } }", token=as_user)
    assert (await session_row(database, payload["session"]["id"])).expires_at == row.expires_at
    async with database.sessionmaker() as db:
        last_sign_in = await db.scalar(select(User.last_sign_in_at).where(User.id == user.id))
    assert last_sign_in is None  # impersonation is not the user signing in


async def test_no_cookie_is_set_and_the_admins_cookie_session_is_untouched(client, database, settings):
    _, token = await signed_in_admin(database, email="ada@example.com")
    client.cookies.set(settings.cookie_name, token)  # the admin page's own cookie session
    user = await make_user(database, email="bo@example.com")
    response = await client.post("/graphql", json={"query": IMPERSONATE, "variables": {"id": gid(user)}})
    payload = response.json()["data"]["impersonateUser"]
    assert payload["token"] and "set-cookie" not in response.headers
    assert client.cookies.get(settings.cookie_name) == token
    viewer = (await client.post("/graphql", json={"query": VIEWER})).json()["data"]["viewer"]
    assert viewer["email"] == "ada@example.com"
    # The page sends the token as a bearer token; the bearer header wins over the cookie.
    assert (await client.gql(VIEWER, token=payload["token"]))["data"]["viewer"]["email"] == "bo@example.com"


@pytest.mark.parametrize("operation", [
    'mutation { changePassword(input: {currentPassword: "x", newPassword: "y"}) { errors { code } } }',
    'mutation { deleteViewer(input: {password: "x"}) { errors { code } } }',
    'mutation($id: ID!) { impersonateUser(id: $id) { errors { code } } }',
])
async def test_an_impersonation_session_cannot_change_credentials_delete_or_impersonate(client, database, operation):
    _, token = await signed_in_admin(database)
    user, other = await make_user(database), await make_user(database)
    as_user = (await impersonate(client, token, user))["token"]
    body = await client.gql(operation, {"id": gid(other)} if "$id" in operation else None, token=as_user)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    async with database.sessionmaker() as db:
        assert await db.get(User, user.id) is not None


async def test_the_user_sees_the_session_but_not_who_opened_it(client, database):
    _, token = await signed_in_admin(database, email="ada@example.com")
    user, user_token = await signed_in(database, email="bo@example.com")
    await impersonate(client, token, user)
    body = await client.gql(SESSIONS, token=user_token)
    nodes = sorted((e["node"] for e in body["data"]["viewer"]["sessions"]["edges"]), key=lambda n: n["isImpersonation"])
    assert nodes == [{"isImpersonation": False, "impersonatedBy": None}, {"isImpersonation": True, "impersonatedBy": None}]
    body = await client.gql(
        "query($id: ID!) { user(id: $id) { sessions { edges { node { isImpersonation impersonatedBy { email } } } } } }",
        {"id": gid(user)}, token=token,
    )
    shown = [e["node"]["impersonatedBy"] for e in body["data"]["user"]["sessions"]["edges"] if e["node"]["isImpersonation"]]
    assert shown == [{"email": "ada@example.com"}]


async def test_stop_impersonating_revokes_the_session_only_from_one(client, database):
    _, token = await signed_in_admin(database)
    user = await make_user(database)
    payload = await impersonate(client, token, user)
    body = await client.gql("mutation { stopImpersonating { session { status } errors { code } } }", token=payload["token"])
    assert body["data"]["stopImpersonating"] == {"session": {"status": "REVOKED"}, "errors": []}
    assert (await client.gql(VIEWER, token=payload["token"]))["data"]["viewer"] is None
    body = await client.gql("mutation { stopImpersonating { session { status } errors { code } } }", token=token)
    assert codes(body["data"]["stopImpersonating"]) == ["INVALID_INPUT"]
    assert (await client.gql(VIEWER, token=token))["data"]["viewer"] is not None


@pytest.mark.parametrize("target", ["self", "admin", "inactive", "banned"])
async def test_only_an_active_unbanned_non_admin_other_user_can_be_impersonated(client, database, target):
    admin, token = await signed_in_admin(database)
    fields = {"admin": {"role": Role.ADMIN}, "inactive": {"is_active": False}, "banned": {"banned_at": utcnow()}}
    user = admin if target == "self" else await make_user(database, **fields[target])
    payload = await impersonate(client, token, user)
    assert codes(payload) == ["INVALID_INPUT"] and payload["token"] is None
    async with database.sessionmaker() as db:
        assert await db.scalar(select(func.count()).where(Session.impersonated_by_id.is_not(None))) == 0


async def test_only_admins_impersonate(client, database):
    _, token = await signed_in(database)
    other = await make_user(database)
    body = await client.gql(IMPERSONATE, {"id": gid(other)}, token=token)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    body = await client.gql(IMPERSONATE, {"id": to_global_id("User", uuid.uuid4())}, token=token)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


@pytest.mark.parametrize("loss", ["demoted", "banned", "deactivated", "deleted"])
async def test_the_sessions_an_admin_opened_end_when_the_admin_loses_the_right(client, database, loss):
    admin, _ = await signed_in_admin(database, email="ada@example.com")
    _, other_token = await signed_in_admin(database, email="oz@example.com")
    _, admin_token = await make_session(database, admin)
    user = await make_user(database)
    as_user = (await impersonate(client, admin_token, user))["token"]
    mutations = {
        "demoted": "mutation($id: ID!) { r: updateUser(id: $id, input: {role: USER}) { errors { code } } }",
        "deactivated": "mutation($id: ID!) { r: updateUser(id: $id, input: {isActive: false}) { errors { code } } }",
        "banned": "mutation($id: ID!) { r: banUser(id: $id, input: {}) { errors { code } } }",
        "deleted": "mutation($id: ID!) { r: deleteUser(id: $id) { errors { code } } }",
    }
    body = await client.gql(mutations[loss], {"id": gid(admin)}, token=other_token)
    assert body["data"]["r"]["errors"] == []
    assert (await client.gql(VIEWER, token=as_user))["data"]["viewer"] is None
    async with database.sessionmaker() as db:
        assert await db.get(User, user.id) is not None  # the user keeps their account


async def test_fifteen_aliased_impersonations_next_to_a_failing_field_open_nothing(client, database):
    _, token = await signed_in_admin(database)
    users = [await make_user(database) for _ in range(14)]
    fields = " ".join(f'i{n}: impersonateUser(id: "{gid(user)}") {{ token }}' for n, user in enumerate(users))
    body = await client.gql(f'mutation {{ {fields} bad: impersonateUser(id: "%%%") {{ token }} }}', token=token)
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    async with database.sessionmaker() as db:
        assert await db.scalar(select(func.count()).where(Session.impersonated_by_id.is_not(None))) == 0
    from tests.support.events import events_of

    assert await events_of(database) == []


async def test_an_impersonation_session_never_acts_as_an_admin(client, database):
    """Even when its user is made an admin meanwhile: the session is the user's own, opened by someone else,
    and impersonating an admin is not allowed, so such a session authenticates nobody any more."""
    _, token = await signed_in_admin(database)
    user = await make_user(database)
    as_user = (await impersonate(client, token, user))["token"]
    async with database.sessionmaker() as db:
        await db.execute(update(User).where(User.id == user.id).values(role=Role.ADMIN))
        await db.commit()
    body = await client.gql("{ users { edges { node { id } } } }", token=as_user)
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert (await client.gql("{ viewer { id } }", token=as_user))["data"]["viewer"] is None
