"""banUser / unbanUser: sessions revoked, ACCOUNT_BANNED after the right password, a ban that ends by
itself, no self-ban, the last active admin kept (a banned admin is not active), `users(filter: {isBanned})`."""

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from db.models import Role, Session, User
from db.types import utcnow
from schema.relay import to_global_id
from tests.support.auth import VIEWER, codes, sign_in, sign_up
from tests.support.events import events_of
from tests.support.factories import make_session, make_user, signed_in, signed_in_admin

BAN = """mutation($id: ID!, $input: BanUserInput!) {
  banUser(id: $id, input: $input) { user { id isBanned banReason banExpiresAt } errors { field code message } }
}"""
UNBAN = "mutation($id: ID!) { unbanUser(id: $id) { user { isBanned banReason banExpiresAt } errors { code } } }"


def gid(user):
    return to_global_id("User", user.id)


async def active_sessions(database, user_id):
    async with database.sessionmaker() as db:
        return await db.scalar(select(func.count()).where(Session.user_id == user_id, Session.revoked_at.is_(None)))


async def test_a_ban_revokes_every_session_and_refuses_sign_in_with_reason_and_end(client, database):
    _, admin_token = await signed_in_admin(database)
    await sign_up(client)
    tokens = [(await sign_in(client))["token"] for _ in range(2)]
    user_id = (await client.gql(VIEWER, token=tokens[0]))["data"]["viewer"]["id"]
    ends = (utcnow() + timedelta(days=7)).replace(microsecond=0)

    body = await client.gql(BAN, {"id": user_id, "input": {"reason": " spam ", "expiresAt": ends.isoformat()}},
                            token=admin_token)
    payload = body["data"]["banUser"]
    assert payload["errors"] == []
    assert payload["user"] == {"id": user_id, "isBanned": True, "banReason": "spam", "banExpiresAt": ends.isoformat()}
    for token in tokens:
        assert (await client.gql(VIEWER, token=token))["data"]["viewer"] is None

    refused = await sign_in(client)
    assert codes(refused) == ["ACCOUNT_BANNED"] and refused["token"] is None
    message = refused["errors"][0]["message"]
    assert "spam" in message and ends.isoformat() in message
    # Only after the right password: a wrong one says nothing about the ban.
    assert codes(await sign_in(client, password="a wrong password here")) == ["INVALID_CREDENTIALS"]

    body = await client.gql(UNBAN, {"id": user_id}, token=admin_token)
    assert body["data"]["unbanUser"]["user"] == {"isBanned": False, "banReason": None, "banExpiresAt": None}
    assert (await sign_in(client))["token"]


async def test_a_ban_ends_by_itself_at_its_end(client, database):
    _, admin_token = await signed_in_admin(database)
    await sign_up(client)
    user_id = (await sign_in(client))["user"]["id"]
    ends = utcnow() + timedelta(hours=1)
    await client.gql(BAN, {"id": user_id, "input": {"expiresAt": ends.isoformat()}}, token=admin_token)
    assert codes(await sign_in(client)) == ["ACCOUNT_BANNED"]

    # The clock moves past the end: the same as the end moving into the past.
    async with database.sessionmaker() as db:
        await db.execute(update(User).where(User.email == "ann@example.com").values(ban_expires_at=utcnow() - timedelta(seconds=1)))
        await db.commit()
    body = await client.gql("query($id: ID!) { user(id: $id) { isBanned } }", {"id": user_id}, token=admin_token)
    assert body["data"]["user"]["isBanned"] is False
    assert (await sign_in(client))["token"]
    body = await client.gql("{ users(filter: {isBanned: true}) { edges { node { id } } } }", token=admin_token)
    assert body["data"]["users"]["edges"] == []


async def test_a_ban_must_end_in_the_future_and_have_a_short_reason(client, database):
    _, token = await signed_in_admin(database)
    user = await make_user(database)
    body = await client.gql(BAN, {"id": gid(user), "input": {
        "reason": "x" * 501, "expiresAt": (utcnow() - timedelta(minutes=1)).isoformat()}}, token=token)
    errors = body["data"]["banUser"]["errors"]
    assert {(tuple(e["field"]), e["code"]) for e in errors} == {
        (("input", "reason"), "INVALID_INPUT"), (("input", "expiresAt"), "INVALID_INPUT")}


async def test_filter_users_by_ban(client, database):
    _, token = await signed_in_admin(database)
    banned, free = await make_user(database, email="b@example.com"), await make_user(database, email="f@example.com")
    await client.gql(BAN, {"id": gid(banned), "input": {}}, token=token)
    query = "query($b: Boolean) { users(filter: {isBanned: $b}) { edges { node { email } } } }"
    found = await client.gql(query, {"b": True}, token=token)
    assert [e["node"]["email"] for e in found["data"]["users"]["edges"]] == ["b@example.com"]
    found = await client.gql(query, {"b": False}, token=token)
    emails = [e["node"]["email"] for e in found["data"]["users"]["edges"]]
    assert free.email in emails and banned.email not in emails


async def test_only_admins_ban(client, database):
    _, token = await signed_in(database)
    other = await make_user(database)
    body = await client.gql(BAN, {"id": gid(other), "input": {}}, token=token)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    body = await client.gql(BAN, {"id": gid(other), "input": {}})
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_no_self_ban(client, database):
    admin, token = await signed_in_admin(database)
    await signed_in_admin(database)
    body = await client.gql(BAN, {"id": gid(admin), "input": {}}, token=token)
    assert codes(body["data"]["banUser"]) == ["INVALID_INPUT"]


@pytest.mark.parametrize("mutation, key", [
    ("mutation($id: ID!) { updateUser(id: $id, input: {isActive: false}) { errors { code } } }", "updateUser"),
    ("mutation($id: ID!) { updateUser(id: $id, input: {role: USER}) { errors { code } } }", "updateUser"),
    ("mutation($id: ID!) { deleteUser(id: $id) { errors { code } } }", "deleteUser"),
])
async def test_a_banned_admin_does_not_count_as_active(client, database, mutation, key):
    admin, token = await signed_in_admin(database)
    other = await make_user(database, role=Role.ADMIN)
    await client.gql(BAN, {"id": gid(other), "input": {}}, token=token)
    body = await client.gql(mutation, {"id": gid(admin)}, token=token)
    assert codes(body["data"][key]) == ["INVALID_INPUT"]  # the other admin is banned: this is the last one

    # A ban past its end is over: that admin counts again.
    async with database.sessionmaker() as db:
        await db.execute(update(User).where(User.id == other.id).values(ban_expires_at=utcnow() - timedelta(seconds=1)))
        await db.commit()
    body = await client.gql(mutation, {"id": gid(admin)}, token=token)
    assert codes(body["data"][key]) == []


async def test_the_last_active_admin_cannot_be_banned(database):
    """Only reachable by a caller that is not itself an active admin (another admin's own ban is a
    self-ban): the service refuses it all the same."""
    from db.services import bans
    from db.services.errors import Rejected
    from db.services.origin import SYSTEM, Client

    admin = await make_user(database, role=Role.ADMIN)
    await make_user(database, role=Role.ADMIN, is_active=False)
    async with database.sessionmaker() as db:
        with pytest.raises(Rejected) as refused:
            await bans.ban_user(db, user_id=admin.id, reason=None, expires_at=None, actor=SYSTEM, client=Client())
    assert refused.value.problems[0].code.value == "INVALID_INPUT"
    assert await events_of(database) == []


async def test_fifteen_aliased_bans_next_to_a_failing_field_do_nothing(client, database):
    _, token = await signed_in_admin(database)
    users = [await make_user(database, email=f"u{i}@example.com") for i in range(15)]
    for user in users:
        await make_session(database, user)
    fields = " ".join(
        f'b{i}: banUser(id: "{gid(user)}", input: {{reason: "x"}}) {{ errors {{ code }} }}' for i, user in enumerate(users[:14])
    )
    body = await client.gql(f'mutation {{ {fields} bad: banUser(id: "%%%", input: {{}}) {{ errors {{ code }} }} }}', token=token)
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    async with database.sessionmaker() as db:
        assert await db.scalar(select(func.count()).where(User.banned_at.is_not(None))) == 0
    for user in users:
        assert await active_sessions(database, user.id) == 1
    assert await events_of(database) == []


async def test_unknown_user_is_not_found(client, database):
    _, token = await signed_in_admin(database)
    body = await client.gql(BAN, {"id": to_global_id("User", uuid.uuid4()), "input": {}}, token=token)
    assert codes(body["data"]["banUser"]) == ["NOT_FOUND"]


async def test_a_deactivated_and_banned_account_is_disabled_first(client, database):
    """The contract's order of checks after the right password: ACCOUNT_DISABLED, then ACCOUNT_BANNED."""
    await sign_up(client)
    async with database.sessionmaker() as db:
        await db.execute(update(User).values(is_active=False, banned_at=utcnow()))
        await db.commit()
    assert codes(await sign_in(client)) == ["ACCOUNT_DISABLED"]


@pytest.mark.parametrize("reason", ["spam\x00", "line\nbreak", "\u202eevil"])
async def test_a_reason_with_control_or_format_characters_is_refused(client, database, reason):
    _, token = await signed_in_admin(database)
    user = await make_user(database)
    body = await client.gql(BAN, {"id": gid(user), "input": {"reason": reason}}, token=token)
    assert [(e["field"], e["code"]) for e in body["data"]["banUser"]["errors"]] == [(["input", "reason"], "INVALID_INPUT")]
