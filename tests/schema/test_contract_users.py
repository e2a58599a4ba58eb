"""CONTRACT.md, Users and Sessions: the input rules and session promises no other test pins down
(name and image limits on every mutation that takes them, status precedence, the cascade, nodes)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import delete, select, update

from db.models import Session, User
from db.types import utcnow
from schema.relay import to_global_id
from tests.support.auth import PASSWORD, codes, sign_up
from tests.support.factories import make_session, make_user, signed_in, signed_in_admin

UPDATE_VIEWER = "mutation ($i: UpdateViewerInput!) { updateViewer(input: $i) { user { name image } errors { field code } } }"
UPDATE_USER = "mutation ($id: ID!, $i: UpdateUserInput!) { updateUser(id: $id, input: $i) { user { name image } errors { field code } } }"
CREATE_USER = "mutation ($i: CreateUserInput!) { createUser(input: $i) { user { name } errors { field code } } }"

PREFIX = "https://img.example.com/"
LONGEST_IMAGE = PREFIX + "a" * (2048 - len(PREFIX))
GOOD_IMAGES = ["http://img.example.com/a.png", "https://img.example.com/a.png?size=64#x", "HTTPS://Example.com/a",
               "http://[::1]:8080/a.png", LONGEST_IMAGE]
BAD_IMAGES = [
    LONGEST_IMAGE + "a",                      # 2,049 characters
    "ftp://img.example.com/a.png", "javascript:alert(1)", "data:image/png;base64,AAAA",
    "img.example.com/a.png", "/a.png", "https://", "https:///a.png", "http://:80/a.png",
    "http://[::1/a.png",                      # urlsplit raises on this one: it must not become a 500
    "https://img.example.com:port/a.png", "https://bad host.example/a.png", "https://img.example.com/a\n.png",
]


async def _profile_mutation(client, database, mutation):
    """(send(input) -> payload, read back) for updateViewer or an admin's updateUser."""
    if mutation == "updateViewer":
        _, token = await signed_in(database)

        async def send(fields):
            return (await client.gql(UPDATE_VIEWER, {"i": fields}, token=token))["data"]["updateViewer"]
    else:
        _, token = await signed_in_admin(database)
        target = await make_user(database)

        async def send(fields):
            body = await client.gql(UPDATE_USER, {"id": to_global_id("User", target.id), "i": fields}, token=token)
            return body["data"]["updateUser"]
    return send


@pytest.mark.parametrize("mutation", ["updateViewer", "updateUser"])
async def test_image_is_null_or_an_http_url_of_at_most_2048_characters(client, database, mutation):
    send = await _profile_mutation(client, database, mutation)
    for image in GOOD_IMAGES:
        payload = await send({"image": image})
        assert payload == {"user": {"name": payload["user"]["name"], "image": image}, "errors": []}, image
    for image in BAD_IMAGES:
        payload = await send({"image": image})
        assert payload == {"user": None, "errors": [{"field": ["input", "image"], "code": "INVALID_INPUT"}]}, image
    assert (await send({"image": None}))["user"]["image"] is None


@pytest.mark.parametrize("mutation", ["signUp", "createUser", "updateViewer", "updateUser"])
async def test_name_is_1_to_100_characters_after_trimming(client, database, mutation):
    if mutation in ("updateViewer", "updateUser"):
        send_profile = await _profile_mutation(client, database, mutation)

        async def send(name):
            return await send_profile({"name": name})
    elif mutation == "createUser":
        _, token = await signed_in_admin(database)

        async def send(name):
            email = f"{uuid.uuid4().hex}@example.com"
            variables = {"i": {"email": email, "name": name, "password": PASSWORD}}
            return (await client.gql(CREATE_USER, variables, token=token))["data"]["createUser"]
    else:
        async def send(name):
            return await sign_up(client, email=f"{uuid.uuid4().hex}@example.com", name=name)

    longest = "n" * 100
    accepted = await send(f"  {longest}\t ")
    assert accepted["errors"] == [] and accepted["user"]["name"] == longest
    assert (await send("é"))["user"]["name"] == "é"
    for name in ("n" * 101, "", "   "):
        refused = await send(name)
        assert refused["user"] is None
        assert [(error["field"], error["code"]) for error in refused["errors"]] == [(["input", "name"], "INVALID_INPUT")]


async def test_passwords_are_8_to_256_characters(client):
    longest = ("Tr0ub4dor&3-horse" * 16)[:256]
    assert codes(await sign_up(client, email="a@example.com", password=longest[:7])) == ["WEAK_PASSWORD"]
    assert (await sign_up(client, email="b@example.com", password="kT9#qL2v"))["errors"] == []
    assert (await sign_up(client, email="c@example.com", password=longest))["errors"] == []
    assert codes(await sign_up(client, email="d@example.com", password=longest + "x")) == ["WEAK_PASSWORD"]


async def test_new_users_have_the_user_role(client):
    token = (await sign_up(client))["token"]
    assert (await client.gql("{ viewer { role isActive } }", token=token))["data"]["viewer"] == {
        "role": "USER", "isActive": True}


async def test_admins_can_create_users_when_sign_up_is_disabled(make_client, database):
    _, token = await signed_in_admin(database)
    async with make_client(allow_sign_up=False) as client:
        assert codes(await sign_up(client)) == ["SIGN_UP_DISABLED"]
        created = await client.gql(CREATE_USER, {"i": {"email": "ann@example.com", "name": "Ann", "password": PASSWORD}},
                                   token=token)
    assert created["data"]["createUser"] == {"user": {"name": "Ann"}, "errors": []}


async def test_a_revoked_session_stays_revoked_once_it_has_also_expired(client, database):
    me, token = await signed_in(database)
    login, _ = await make_session(database, me, revoked=True)
    async with database.sessionmaker() as session:
        await session.execute(update(Session).where(Session.id == login.id)
                              .values(expires_at=utcnow() - timedelta(days=1)))
        await session.commit()
    body = await client.gql("query ($id: ID!) { node(id: $id) { ... on Session { status } } }",
                            {"id": to_global_id("Session", login.id)}, token=token)
    assert body == {"data": {"node": {"status": "REVOKED"}}}


async def test_deleting_a_user_row_deletes_its_sessions_in_the_database(database):
    """ON DELETE CASCADE in the schema itself, not only in the service that deletes accounts."""
    ann, bob = await make_user(database), await make_user(database)
    for user in (ann, ann, bob):
        await make_session(database, user)
    users, sessions = User.__table__, Session.__table__
    async with database.engine.begin() as connection:  # a plain SQL DELETE: no ORM cascade takes part
        await connection.execute(delete(users).where(users.c.id == ann.id))
    async with database.engine.connect() as connection:
        owners = (await connection.execute(select(sessions.c.user_id))).scalars().all()
    assert owners == [bob.id]


async def test_nodes_give_null_in_place_of_each_unknown_id(client, database):
    me, token = await signed_in(database)
    login, _ = await make_session(database, me)
    ids = [to_global_id("User", uuid.uuid4()), to_global_id("User", me.id), to_global_id("Session", uuid.uuid4()),
           to_global_id("Session", login.id), to_global_id("User", (await make_user(database)).id)]
    body = await client.gql("query ($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": ids}, token=token)
    assert body == {"data": {"nodes": [None, {"id": ids[1]}, None, {"id": ids[3]}, None]}}
