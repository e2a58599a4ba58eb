"""Every security event this service produces, caused by the real operation, with the right actor,
actor kind, user, email, client and details; a rolled-back change leaves none."""

import logging

import pytest
from sqlalchemy import update

from db.models import User
from schema.relay import from_global_id, to_global_id
from tests.support.auth import PASSWORD, codes, sign_in, sign_up
from tests.support.events import events_of, only_event
from tests.support.factories import make_session, make_user, signed_in, signed_in_admin

STRONG = "correct horse battery staple"
UA = {"User-Agent": "events-test/1.0"}


def gid(user_or_id, kind="User"):
    return to_global_id(kind, getattr(user_or_id, "id", user_or_id))


def assert_client(event):
    assert event.ip_address == "127.0.0.1"
    assert event.user_agent == "events-test/1.0"
    assert event.request_id


async def test_sign_up_and_sign_in_are_recorded_as_the_user(client, database):
    up = await sign_up(client, headers=UA)
    user_id = up["user"]["id"]
    event = await only_event(database, "SIGNED_UP")
    assert gid(event.user_id) == user_id and event.actor_id == event.user_id
    assert (event.actor_kind, event.email, event.impersonation) == ("SELF", "ann@example.com", False)
    assert_client(event)

    signed = await sign_in(client, headers=UA)
    event = await only_event(database, "SIGNED_IN")
    assert gid(event.user_id) == user_id and event.actor_kind == "SELF"
    assert event.details == {"sessionId": str(from_global_id(signed["session"]["id"])[1])}
    assert_client(event)


@pytest.mark.parametrize("case", ["wrong_password", "unknown_email", "disabled", "banned"])
async def test_a_failed_sign_in_is_recorded_with_its_reason(client, database, case):
    await sign_up(client)
    email, password = "ann@example.com", PASSWORD
    if case == "wrong_password":
        password = "not the password at all"
    elif case == "unknown_email":
        email = "bob@example.com"
    else:
        values = {"is_active": False} if case == "disabled" else {"banned_at": User.created_at, "ban_reason": "spam"}
        async with database.sessionmaker() as db:
            await db.execute(update(User).values(**values))
            await db.commit()
    payload = await sign_in(client, email=email, password=password, headers=UA)
    assert payload["token"] is None
    event = await only_event(database, "SIGN_IN_FAILED")
    assert event.details == {"reason": case}
    assert (event.actor_kind, event.actor_id, event.email) == ("ANONYMOUS", None, email)
    assert (event.user_id is None) == (case == "unknown_email")
    assert_client(event)


async def test_a_rate_limited_sign_in_is_recorded(make_client, database):
    async with make_client(sign_in_max_failures_per_email_and_ip=1) as client:
        await sign_up(client)
        await sign_in(client, password="wrong password number one")
        refused = await sign_in(client)
        assert codes(refused) == ["RATE_LIMITED"]
    reasons = [event.details["reason"] for event in await events_of(database, "SIGN_IN_FAILED")]
    assert reasons == ["wrong_password", "rate_limited"]


async def test_sign_out_and_revocations_name_who_did_them(client, database):
    user, token = await signed_in(database, email="ann@example.com")
    other, _ = await make_session(database, user)
    await make_session(database, user)
    admin, admin_token = await signed_in_admin(database)

    body = await client.gql("mutation($id: ID!) { revokeSession(id: $id) { errors { code } } }",
                            {"id": gid(other, "Session")}, token=token, headers=UA)
    assert body["data"]["revokeSession"]["errors"] == []
    event = await only_event(database, "SESSION_REVOKED")
    assert (event.user_id, event.actor_id, event.actor_kind) == (user.id, user.id, "SELF")
    assert event.details == {"sessionId": str(other.id)}

    body = await client.gql("mutation { revokeOtherSessions { revokedCount } }", token=token)
    assert body["data"]["revokeOtherSessions"]["revokedCount"] == 1
    body = await client.gql("mutation($id: ID!) { revokeUserSessions(userId: $id) { revokedCount } }",
                            {"id": gid(user)}, token=admin_token)
    assert body["data"]["revokeUserSessions"]["revokedCount"] == 1
    revoked = await events_of(database, "SESSION_REVOKED")
    assert [(e.actor_kind, e.actor_id, e.user_id, e.details) for e in revoked[1:]] == [
        ("SELF", user.id, user.id, {"count": 1, "otherSessions": True}),
        ("ADMIN", admin.id, user.id, {"count": 1}),
    ]

    _, token = await make_session(database, user)
    await client.gql("mutation { signOut { session { status } } }", token=token, headers=UA)
    event = await only_event(database, "SIGNED_OUT")
    assert (event.user_id, event.actor_kind, event.email) == (user.id, "SELF", "ann@example.com")
    assert_client(event)


async def test_password_changes_by_the_user_and_by_an_admin(client, database):
    await sign_up(client)
    token = (await sign_in(client))["token"]
    body = await client.gql(
        "mutation($input: ChangePasswordInput!) { changePassword(input: $input) { errors { code } } }",
        {"input": {"currentPassword": PASSWORD, "newPassword": "another quite strong passphrase"}}, token=token,
    )
    assert body["data"]["changePassword"]["errors"] == []
    admin, admin_token = await signed_in_admin(database)
    (user,) = [e.user_id for e in await events_of(database, "SIGNED_UP")]
    body = await client.gql(
        "mutation($id: ID!, $input: UpdateUserInput!) { updateUser(id: $id, input: $input) { errors { code } } }",
        {"id": gid(user), "input": {"password": STRONG + " again"}}, token=admin_token,
    )
    assert body["data"]["updateUser"]["errors"] == []
    changed = await events_of(database, "PASSWORD_CHANGED")
    assert [(e.actor_kind, e.actor_id, e.user_id) for e in changed] == [("SELF", user, user), ("ADMIN", admin.id, user)]
    assert await events_of(database, "USER_UPDATED") == []  # a password alone is not a profile change


async def test_admin_creates_updates_promotes_and_deletes(client, database):
    admin, token = await signed_in_admin(database)
    body = await client.gql(
        "mutation($input: CreateUserInput!) { createUser(input: $input) { user { id } errors { code } } }",
        {"input": {"email": "nia@example.com", "name": "Nia", "password": STRONG}}, token=token, headers=UA,
    )
    user_id = body["data"]["createUser"]["user"]["id"]
    created = await only_event(database, "USER_CREATED")
    assert (gid(created.user_id), created.actor_id, created.actor_kind) == (user_id, admin.id, "ADMIN")
    assert created.details == {"role": "USER"} and created.email == "nia@example.com"
    assert_client(created)

    update = "mutation($id: ID!, $input: UpdateUserInput!) { updateUser(id: $id, input: $input) { errors { code } } }"
    await client.gql(update, {"id": user_id, "input": {"name": "Nina", "isActive": False}}, token=token)
    await client.gql(update, {"id": user_id, "input": {"role": "ADMIN"}}, token=token)
    updated = await only_event(database, "USER_UPDATED")
    assert updated.details == {"fields": ["name", "isActive"]} and updated.actor_id == admin.id
    role = await only_event(database, "ROLE_CHANGED")
    assert role.details == {"from": "USER", "to": "ADMIN"} and role.actor_kind == "ADMIN"

    await client.gql("mutation($id: ID!) { deleteUser(id: $id) { errors { code } } }", {"id": user_id}, token=token)
    deleted = await only_event(database, "USER_DELETED")
    assert (deleted.user_id, deleted.email, deleted.actor_id) == (None, "nia@example.com", admin.id)
    assert gid(deleted.details["userId"]) == user_id
    # The account's earlier events stay, without it (its email snapshot kept).
    assert {e.user_id for e in await events_of(database, "USER_CREATED", "ROLE_CHANGED")} == {None}


async def test_the_viewer_updates_and_deletes_their_own_account(client, database):
    await sign_up(client)
    token = (await sign_in(client))["token"]
    await client.gql('mutation { updateViewer(input: {name: "Annie"}) { errors { code } } }', token=token)
    updated = await only_event(database, "USER_UPDATED")
    assert updated.actor_kind == "SELF" and updated.details == {"fields": ["name"]}
    body = await client.gql(
        "mutation($input: DeleteViewerInput!) { deleteViewer(input: $input) { deletedUserId errors { code } } }",
        {"input": {"password": PASSWORD}}, token=token,
    )
    assert body["data"]["deleteViewer"]["errors"] == []
    deleted = await only_event(database, "USER_DELETED")
    assert (deleted.actor_kind, deleted.actor_id, deleted.user_id, deleted.email) == ("SELF", None, None, "ann@example.com")


async def test_bans_and_impersonation_are_recorded(client, database):
    admin, token = await signed_in_admin(database)
    user = await make_user(database, email="bo@example.com")
    ban = "mutation($id: ID!) { banUser(id: $id, input: {reason: \"spam\"}) { errors { code } } }"
    await client.gql(ban, {"id": gid(user)}, token=token)
    await client.gql("mutation($id: ID!) { unbanUser(id: $id) { errors { code } } }", {"id": gid(user)}, token=token)
    banned, unbanned = await only_event(database, "USER_BANNED"), await only_event(database, "USER_UNBANNED")
    assert banned.details == {"reason": "spam", "expiresAt": None, "revokedSessions": 0}
    assert (banned.actor_id, unbanned.actor_id, unbanned.user_id) == (admin.id, admin.id, user.id)

    body = await client.gql("mutation($id: ID!) { impersonateUser(id: $id) { token session { id } } }",
                            {"id": gid(user)}, token=token)
    as_user = body["data"]["impersonateUser"]["token"]
    started = await only_event(database, "IMPERSONATION_STARTED")
    assert (started.actor_id, started.actor_kind, started.user_id) == (admin.id, "ADMIN", user.id)

    # What the admin does as the user is the admin's doing.
    await client.gql('mutation { updateViewer(input: {name: "Bo"}) { errors { code } } }', token=as_user)
    updated = await only_event(database, "USER_UPDATED")
    assert (updated.actor_id, updated.actor_kind, updated.user_id, updated.impersonation) == (admin.id, "ADMIN", user.id, True)
    assert updated.details == {"fields": ["name"], "impersonation": True}

    await client.gql("mutation { stopImpersonating { session { status } } }", token=as_user)
    stopped = await only_event(database, "IMPERSONATION_STOPPED")
    assert (stopped.actor_id, stopped.actor_kind, stopped.user_id, stopped.details["impersonation"]) == (
        admin.id, "ADMIN", user.id, True)


async def test_a_rolled_back_change_leaves_no_event(client, database):
    _, token = await signed_in(database)
    body = await client.gql(
        'mutation { updateViewer(input: {name: "Changed"}) { errors { code } } revokeSession(id: "%%%") { errors { code } } }',
        token=token,
    )
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert await events_of(database) == []


async def test_each_event_is_one_json_log_line(client, database, caplog):
    caplog.set_level(logging.INFO, logger="usergraph.security")
    await sign_up(client, headers=UA)
    (record,) = [r for r in caplog.records if r.name == "usergraph.security"]
    assert record.event["type"] == "SIGNED_UP" and record.event["email"] == "ann@example.com"
    assert record.event["user_agent"] == "events-test/1.0"
    from api.logging import JsonFormatter

    import json

    line = JsonFormatter().format(record)
    assert "\n" not in line and json.loads(line)["event"]["actor_kind"] == "SELF"
