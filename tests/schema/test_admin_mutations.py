"""Admins create, update and delete accounts and sign users out; the last active admin is kept."""

import asyncio
import uuid

import pytest
from sqlalchemy import func, select

from api.policies import password_hashing
from db.models import Role, Session, User
from db.services.passwords import verify_password
from db.services.users import find_by_email
from schema.relay import to_global_id
from tests.support.factories import make_session, make_user, signed_in_admin

STRONG = "correct horse battery staple"
CREATE = "mutation($input: CreateUserInput!) { createUser(input: $input) { user { id email name role emailVerified isActive } errors { field code message } } }"
UPDATE = "mutation($id: ID!, $input: UpdateUserInput!) { updateUser(id: $id, input: $input) { user { id email name image role isActive emailVerified } errors { field code } } }"
DELETE = "mutation($id: ID!) { deleteUser(id: $id) { deletedUserId errors { field code } } }"
REVOKE = "mutation($id: ID!) { revokeUserSessions(userId: $id) { revokedCount errors { field code } } }"


def gid(user):
    return to_global_id("User", user.id)


async def load(database, user_id):
    async with database.sessionmaker() as session:
        return await session.get(User, user_id)


async def active_sessions(database, user_id):
    async with database.sessionmaker() as session:
        return await session.scalar(
            select(func.count()).where(Session.user_id == user_id, Session.revoked_at.is_(None))
        )


async def test_create_user_with_role_and_verified_email(client, database, settings):
    _, token = await signed_in_admin(database)
    body = await client.gql(CREATE, {"input": {"email": " New@Example.com ", "name": " Nia ", "password": STRONG,
                                               "role": "ADMIN", "emailVerified": True}}, token=token)
    payload = body["data"]["createUser"]
    assert payload["errors"] == []
    assert payload["user"] | {"id": None} == {"id": None, "email": "New@example.com", "name": "Nia", "role": "ADMIN",
                                              "emailVerified": True, "isActive": True}
    async with database.sessionmaker() as session:
        created = await session.scalar(select(User).where(User.email == "New@example.com"))
    assert (await verify_password(created.password_hash, STRONG, password_hashing(settings).params))[0]


async def test_create_user_reports_every_problem_at_once(client, database):
    _, token = await signed_in_admin(database)
    body = await client.gql(CREATE, {"input": {"email": "nope", "name": "  ", "password": "short"}}, token=token)
    payload = body["data"]["createUser"]
    assert payload["user"] is None
    assert {(tuple(e["field"]), e["code"]) for e in payload["errors"]} == {
        (("input", "email"), "INVALID_INPUT"), (("input", "name"), "INVALID_INPUT"), (("input", "password"), "WEAK_PASSWORD")}


async def test_create_user_with_a_taken_email(client, database):
    admin, token = await signed_in_admin(database)
    body = await client.gql(CREATE, {"input": {"email": admin.email.upper(), "name": "X", "password": STRONG}}, token=token)
    assert body["data"]["createUser"]["errors"][0]["code"] == "EMAIL_TAKEN"


async def test_update_user_fields(client, database):
    _, token = await signed_in_admin(database)
    user = await make_user(database)
    body = await client.gql(UPDATE, {"id": gid(user), "input": {
        "email": "renamed@example.com", "name": "Ren", "image": "https://example.com/a.png", "emailVerified": True}}, token=token)
    assert body["data"]["updateUser"] == {"errors": [], "user": {
        "id": gid(user), "email": "renamed@example.com", "name": "Ren", "image": "https://example.com/a.png",
        "role": "USER", "isActive": True, "emailVerified": True}}
    cleared = await client.gql(UPDATE, {"id": gid(user), "input": {"image": ""}}, token=token)
    assert cleared["data"]["updateUser"]["user"]["image"] is None


async def test_update_user_reports_every_problem_and_changes_nothing(client, database):
    admin, token = await signed_in_admin(database)
    user = await make_user(database, name="Keep")
    body = await client.gql(UPDATE, {"id": gid(user), "input": {
        "email": admin.email, "name": "", "image": "ftp://x", "password": "1234", "role": "ADMIN"}}, token=token)
    assert {(e["field"][1], e["code"]) for e in body["data"]["updateUser"]["errors"]} == {
        ("email", "EMAIL_TAKEN"), ("name", "INVALID_INPUT"), ("image", "INVALID_INPUT"), ("password", "WEAK_PASSWORD")}
    after = await load(database, user.id)
    assert (after.name, after.role, after.email) == ("Keep", Role.USER, user.email)


async def test_changing_only_the_case_of_an_email_is_allowed(client, database):
    _, token = await signed_in_admin(database)
    user = await make_user(database, email="case@example.com")
    body = await client.gql(UPDATE, {"id": gid(user), "input": {"email": "CASE@example.com"}}, token=token)
    assert body["data"]["updateUser"]["user"]["email"] == "CASE@example.com"


async def test_an_admin_email_change_is_compared_and_kept_by_its_key(client, database):
    _, token = await signed_in_admin(database)
    await make_user(database, email="ünal@example.com")
    user = await make_user(database, email="old@example.com")
    taken = await client.gql(UPDATE, {"id": gid(user), "input": {"email": "ÜNAL@example.com"}}, token=token)
    assert taken["data"]["updateUser"]["errors"] == [{"field": ["input", "email"], "code": "EMAIL_TAKEN"}]
    body = await client.gql(UPDATE, {"id": gid(user), "input": {"email": "ANN@Bücher.example"}}, token=token)
    assert body["data"]["updateUser"]["user"]["email"] == "ANN@bücher.example"
    assert (await load(database, user.id)).email_key == "ann@xn--bcher-kva.example"
    async with database.sessionmaker() as session:
        assert (await find_by_email(session, "ann@xn--bcher-kva.example")).id == user.id
    again = await client.gql(CREATE, {"input": {"email": "Ann@bücher.example", "name": "X", "password": STRONG}}, token=token)
    assert again["data"]["createUser"]["errors"][0]["code"] == "EMAIL_TAKEN"


async def test_new_password_by_an_admin_revokes_every_session(client, database, settings):
    _, token = await signed_in_admin(database)
    user = await make_user(database)
    _, user_token = await make_session(database, user)
    await make_session(database, user)
    body = await client.gql(UPDATE, {"id": gid(user), "input": {"password": STRONG}}, token=token)
    assert body["data"]["updateUser"]["errors"] == []
    assert await active_sessions(database, user.id) == 0
    assert (await client.gql("{ viewer { id } }", token=user_token))["data"]["viewer"] is None
    assert (await verify_password((await load(database, user.id)).password_hash, STRONG, password_hashing(settings).params))[0]


async def test_deactivation_revokes_every_session(client, database):
    _, token = await signed_in_admin(database)
    user = await make_user(database)
    await make_session(database, user)
    body = await client.gql(UPDATE, {"id": gid(user), "input": {"isActive": False}}, token=token)
    assert body["data"]["updateUser"]["user"]["isActive"] is False
    assert await active_sessions(database, user.id) == 0


async def test_other_changes_keep_sessions(client, database):
    _, token = await signed_in_admin(database)
    user = await make_user(database)
    await make_session(database, user)
    await client.gql(UPDATE, {"id": gid(user), "input": {"name": "Still here", "role": "ADMIN"}}, token=token)
    assert await active_sessions(database, user.id) == 1


@pytest.mark.parametrize("change", [{"role": "USER"}, {"isActive": False}])
async def test_the_last_active_admin_cannot_be_demoted_or_deactivated(client, database, change):
    admin, token = await signed_in_admin(database)
    await make_user(database, role=Role.ADMIN, is_active=False)  # an inactive admin does not count
    body = await client.gql(UPDATE, {"id": gid(admin), "input": change}, token=token)
    [error] = body["data"]["updateUser"]["errors"]
    assert (error["code"], error["field"]) == ("INVALID_INPUT", ["input", next(iter(change))])
    after = await load(database, admin.id)
    assert (after.role, after.is_active) == (Role.ADMIN, True)


async def test_the_last_active_admin_cannot_be_deleted(client, database):
    admin, token = await signed_in_admin(database)
    body = await client.gql(DELETE, {"id": gid(admin)}, token=token)
    assert body["data"]["deleteUser"] == {"deletedUserId": None, "errors": [{"field": ["id"], "code": "INVALID_INPUT"}]}
    assert await load(database, admin.id) is not None


async def test_an_admin_can_step_down_when_another_remains(client, database):
    admin, token = await signed_in_admin(database)
    await make_user(database, role=Role.ADMIN)
    body = await client.gql(UPDATE, {"id": gid(admin), "input": {"role": "USER"}}, token=token)
    assert body["data"]["updateUser"]["user"]["role"] == "USER"


async def test_delete_user_deletes_their_sessions(client, database):
    _, token = await signed_in_admin(database)
    user = await make_user(database)
    login, _ = await make_session(database, user)
    body = await client.gql(DELETE, {"id": gid(user)}, token=token)
    assert body["data"]["deleteUser"] == {"deletedUserId": gid(user), "errors": []}
    assert await load(database, user.id) is None
    async with database.sessionmaker() as session:
        assert await session.get(Session, login.id) is None


@pytest.mark.parametrize("mutation", [UPDATE, DELETE, REVOKE])
async def test_unknown_users_are_not_found(client, database, mutation):
    _, token = await signed_in_admin(database)
    variables = {"id": to_global_id("User", uuid.uuid4())}
    if mutation is UPDATE:
        variables["input"] = {"name": "X"}
    body = await client.gql(mutation, variables, token=token)
    payload = next(iter(body["data"].values()))
    assert [e["code"] for e in payload["errors"]] == ["NOT_FOUND"]


async def test_a_session_id_is_not_found_and_a_malformed_id_is_bad_input(client, database):
    admin, token = await signed_in_admin(database)
    login, _ = await make_session(database, admin)
    body = await client.gql(DELETE, {"id": to_global_id("Session", login.id)}, token=token)
    assert body["data"]["deleteUser"]["errors"][0]["code"] == "NOT_FOUND"
    body = await client.gql(DELETE, {"id": "%%%"}, token=token)
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_revoke_user_sessions_counts_active_ones(client, database):
    _, token = await signed_in_admin(database)
    user = await make_user(database)
    for _ in range(2):
        await make_session(database, user)
    await make_session(database, user, revoked=True)
    body = await client.gql(REVOKE, {"id": gid(user)}, token=token)
    assert body["data"]["revokeUserSessions"] == {"revokedCount": 2, "errors": []}
    assert await active_sessions(database, user.id) == 0


async def test_the_last_two_admins_stepping_down_at_once_leave_one_admin(make_client, database):
    """The last-admin rule holds under concurrency (row locks on PostgreSQL, one writer on SQLite)."""
    first, first_token = await signed_in_admin(database)
    second, second_token = await signed_in_admin(database)
    async with make_client() as one, make_client() as two:
        for _ in range(3):
            results = await asyncio.gather(
                one.gql(UPDATE, {"id": gid(first), "input": {"role": "USER"}}, token=first_token),
                two.gql(UPDATE, {"id": gid(second), "input": {"isActive": False}}, token=second_token),
            )
            codes = sorted(e["code"] for body in results for e in body["data"]["updateUser"]["errors"])
            assert codes == ["INVALID_INPUT"]
            async with database.sessionmaker() as session:
                admins = (await session.scalars(
                    select(User).where(User.role == Role.ADMIN, User.is_active.is_(True))
                )).all()
                assert len(admins) == 1
                # Reset for the next round: both active admins again, with fresh sessions.
                for user in (await session.scalars(select(User).where(User.id.in_([first.id, second.id])))).all():
                    user.role, user.is_active = Role.ADMIN, True
                await session.commit()
            _, first_token = await make_session(database, first)
            _, second_token = await make_session(database, second)
