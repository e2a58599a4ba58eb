"""Sessions: sliding expiry, status, signOut and revoking one's own (or, for admins, anyone's)."""

import asyncio
import uuid
from contextlib import nullcontext
from datetime import timedelta

import pytest
from sqlalchemy import update
from starlette.requests import Request

from db.models import Role, Session, User
from db.records import SessionRecord, UserRecord
from db.services.sessions import SessionPolicy, authenticate, authenticate_records, create_session
from db.types import utcnow
from schema.context import Context
from schema.relay import to_global_id
from tests.support.auth import VIEWER, sign_in, sign_up
from api.policies import context_config

SIGN_OUT = "mutation { signOut { session { id status isCurrent revokedAt } errors { code } } }"
REVOKE = "mutation ($id: ID!) { revokeSession(id: $id) { session { id status isCurrent } errors { field code message } } }"
REVOKE_OTHERS = "mutation { revokeOtherSessions { revokedCount errors { code } } }"


async def age_session(database, session_id, *, by: timedelta):
    """Move a session's clock back: as if it had been created and last refreshed `by` ago."""
    async with database.sessionmaker() as session:
        login = await session.get(Session, session_id)
        login.created_at -= by
        login.updated_at -= by
        login.expires_at -= by
        await session.commit()


async def load(database, global_id):
    from schema.relay import from_global_id

    async with database.sessionmaker() as session:
        return await session.get(Session, from_global_id(global_id)[1])


async def test_a_session_used_after_a_day_slides_its_expiry(client, database, settings):
    payload = await sign_up(client)
    session_id = (await load(database, payload["session"]["id"])).id
    await age_session(database, session_id, by=timedelta(days=2))
    before = await load(database, payload["session"]["id"])

    response = await client.post("/graphql", json={"query": VIEWER}, headers={"Authorization": f"Bearer {payload['token']}"})
    assert response.json()["data"]["viewer"] is not None
    after = await load(database, payload["session"]["id"])
    ttl = timedelta(days=settings.session_ttl_days)
    assert after.expires_at > before.expires_at + timedelta(days=1)
    assert utcnow() - timedelta(minutes=5) < after.expires_at - ttl <= utcnow()
    assert "set-cookie" not in response.headers  # a bearer client has no cookie to refresh


async def test_a_session_used_within_the_day_writes_nothing(client, database):
    payload = await sign_up(client)
    session_id = (await load(database, payload["session"]["id"])).id
    await age_session(database, session_id, by=timedelta(hours=20))
    before = await load(database, payload["session"]["id"])
    assert (await client.gql(VIEWER, token=payload["token"]))["data"]["viewer"] is not None
    after = await load(database, payload["session"]["id"])
    assert (after.expires_at, after.updated_at) == (before.expires_at, before.updated_at)


async def test_sliding_expiry_refreshes_the_cookie_too(client, database, settings):
    payload = await sign_up(client)
    await age_session(database, (await load(database, payload["session"]["id"])).id, by=timedelta(days=2))
    client.cookies.set(settings.cookie_name, payload["token"])
    response = await client.post("/graphql", json={"query": VIEWER})
    client.cookies.clear()
    assert response.json()["data"]["viewer"] is not None
    assert response.headers["set-cookie"].startswith(f"{settings.cookie_name}={payload['token']};")


@pytest.mark.parametrize("lookup", ["rows", "records", "records read directly"])
async def test_expiry_and_refresh_follow_the_clock_given(database, lookup):
    """The service takes `now`, so its rules can be checked at any moment of a session's life; the ORM
    lookup (mutations) and the records one (queries; on PostgreSQL also read straight through asyncpg)
    follow the same rules."""
    if lookup == "records read directly" and not database.direct_reads:
        pytest.skip("reads go straight to the driver on PostgreSQL reached directly only")
    policy = SessionPolicy(ttl=timedelta(days=30), refresh_after=timedelta(days=1))
    start = utcnow()
    async with database.sessionmaker() as session:
        user = User(email="clock@example.com", name="Clock", password_hash="x")
        session.add(user)
        await session.flush()
        _, token = await create_session(session, user=user, policy=policy, ip_address=None, user_agent=None,
                                        now=start)
        await session.commit()

    async def at(moment):
        async with database.sessionmaker() as session:
            if lookup == "rows":
                found = await authenticate(session, token, policy=policy, now=moment)
            else:
                direct = database.engine if lookup == "records read directly" else None
                found = await authenticate_records(
                    lambda: nullcontext(session), token, policy=policy, now=moment, direct=direct
                )
            await session.commit()
            return found and found[1].expires_at

    assert await at(start + timedelta(hours=23)) == start + timedelta(days=30)       # no write within a day
    assert await at(start + timedelta(days=29)) == start + timedelta(days=59)        # slid
    assert await at(start + timedelta(days=29, hours=12)) == start + timedelta(days=59)
    assert await at(start + timedelta(days=59)) is None                              # expired


async def test_sign_out_revokes_the_session_and_clears_the_cookie(client, settings):
    payload = await sign_up(client)
    other = await sign_in(client)
    cookie_header = {"Cookie": f"{settings.cookie_name}={other['token']}"}
    response = await client.post("/graphql", json={"query": SIGN_OUT}, headers=cookie_header)
    signed_out = response.json()["data"]["signOut"]
    assert signed_out["session"]["id"] == other["session"]["id"]
    assert signed_out["session"]["status"] == "REVOKED" and signed_out["session"]["revokedAt"]
    assert signed_out["session"]["isCurrent"] is True
    cookie = response.headers["set-cookie"].lower()
    assert cookie.startswith(f"{settings.cookie_name}=") and "max-age=0" in cookie
    assert (await client.gql(VIEWER, token=other["token"]))["data"]["viewer"] is None
    assert (await client.gql(VIEWER, token=payload["token"]))["data"]["viewer"] is not None


async def test_signing_out_by_bearer_token_leaves_the_cookie_of_another_session_alone(client, settings):
    """An admin page keeps an impersonation token in memory beside its own cookie session: ending the
    token's session must not sign the page's own cookie session out of the browser."""
    payload = await sign_up(client)
    other = await sign_in(client)
    response = await client.post(
        "/graphql", json={"query": SIGN_OUT},
        headers={"Authorization": f"Bearer {payload['token']}", "Cookie": f"{settings.cookie_name}={other['token']}"},
    )
    assert response.json()["data"]["signOut"]["session"]["id"] == payload["session"]["id"]
    assert "set-cookie" not in response.headers
    assert (await client.gql(VIEWER, token=payload["token"]))["data"]["viewer"] is None
    assert (await client.gql(VIEWER, token=other["token"]))["data"]["viewer"]["id"] == other["user"]["id"]


async def test_signing_out_anonymously_is_unauthenticated_but_still_clears_the_cookie(client, settings):
    response = await client.post("/graphql", json={"query": SIGN_OUT})
    body = response.json()
    assert body["data"] is None
    assert [error["extensions"]["code"] for error in body["errors"]] == ["UNAUTHENTICATED"]
    assert "max-age=0" in response.headers["set-cookie"].lower()


async def test_revoke_session_revokes_ones_own_session(client):
    first = await sign_up(client)
    second = await sign_in(client)
    revoked = (await client.gql(REVOKE, {"id": first["session"]["id"]}, token=second["token"]))["data"]["revokeSession"]
    assert revoked["errors"] == []
    assert revoked["session"] == {"id": first["session"]["id"], "status": "REVOKED", "isCurrent": False}
    assert (await client.gql(VIEWER, token=first["token"]))["data"]["viewer"] is None
    assert (await client.gql(VIEWER, token=second["token"]))["data"]["viewer"] is not None


async def test_another_users_session_is_not_found_for_a_non_admin(client):
    ann = await sign_up(client)
    bob = await sign_up(client, email="bob@example.com", name="Bob")
    for target in (ann["session"]["id"], to_global_id("Session", uuid.uuid4()), bob["user"]["id"]):
        payload = (await client.gql(REVOKE, {"id": target}, token=bob["token"]))["data"]["revokeSession"]
        assert payload == {"session": None, "errors": [{"field": ["id"], "code": "NOT_FOUND", "message": "No such session"}]}
    assert (await client.gql(VIEWER, token=ann["token"]))["data"]["viewer"] is not None


async def test_an_admin_can_revoke_anyones_session(client, database):
    ann = await sign_up(client)
    admin = await sign_up(client, email="root@example.com", name="Root")
    async with database.sessionmaker() as session:
        await session.execute(update(User).where(User.email == "root@example.com").values(role=Role.ADMIN))
        await session.commit()
    payload = (await client.gql(REVOKE, {"id": ann["session"]["id"]}, token=admin["token"]))["data"]["revokeSession"]
    assert payload["errors"] == [] and payload["session"]["status"] == "REVOKED"
    assert (await client.gql(VIEWER, token=ann["token"]))["data"]["viewer"] is None


async def test_a_malformed_session_id_is_bad_user_input(client):
    ann = await sign_up(client)
    body = await client.gql(REVOKE, {"id": "not a global id!"}, token=ann["token"])
    assert body["data"] is None
    assert [error["extensions"]["code"] for error in body["errors"]] == ["BAD_USER_INPUT"]


async def test_revoke_other_sessions_keeps_the_current_one(client, database):
    current = await sign_up(client)
    others = [await sign_in(client) for _ in range(3)]
    revoked = await client.gql(REVOKE, {"id": others[0]["session"]["id"]}, token=current["token"])
    assert revoked["data"]["revokeSession"]["errors"] == []  # an already revoked one is not counted again
    payload = (await client.gql(REVOKE_OTHERS, token=current["token"]))["data"]["revokeOtherSessions"]
    assert payload == {"revokedCount": 2, "errors": []}
    assert (await client.gql(VIEWER, token=current["token"]))["data"]["viewer"] is not None
    for other in others:
        assert (await client.gql(VIEWER, token=other["token"]))["data"]["viewer"] is None


async def test_session_status_is_active_expired_or_revoked(client, database):
    ann = await sign_up(client)
    old = await sign_in(client)
    assert old["session"]["status"] == "ACTIVE"
    async with database.sessionmaker() as session:
        await session.execute(update(Session).where(Session.id == (await load(database, old["session"]["id"])).id)
                              .values(expires_at=utcnow() - timedelta(seconds=1)))
        await session.commit()
    # Revoking an expired session leaves it expired; revoking an active one makes it revoked.
    expired = (await client.gql(REVOKE, {"id": old["session"]["id"]}, token=ann["token"]))["data"]["revokeSession"]
    assert expired["session"]["status"] == "EXPIRED"
    assert (await load(database, old["session"]["id"])).revoked_at is None
    current = (await client.gql(REVOKE, {"id": ann["session"]["id"]}, token=ann["token"]))["data"]["revokeSession"]
    assert current["session"] == {"id": ann["session"]["id"], "status": "REVOKED", "isCurrent": True}


async def test_a_viewer_read_as_records_becomes_orm_rows_when_a_write_needs_them(client, database, settings):
    """Queries authenticate with read-only records; a resolver that writes (`writes=True`) gets the ORM
    rows of the same user and session, and from then on every resolver of the operation does."""
    payload = await sign_up(client)
    headers = [(b"authorization", f"Bearer {payload['token']}".encode())]
    context = Context(database=database, config=context_config(settings))
    context.request = Request({"type": "http", "method": "POST", "headers": headers, "path": "/graphql"})
    try:
        read = await context.viewer()
        assert isinstance(read.user, UserRecord) and isinstance(read.session, SessionRecord)
        rows = await context.viewer(writes=True)
        assert isinstance(rows.user, User) and isinstance(rows.session, Session)
        assert (rows.user.id, rows.session.id) == (read.user.id, read.session.id)
        assert await context.viewer() is rows
        assert context.current_session_id == read.session.id
    finally:
        await context.finish(commit=False)


async def _viewer_context(client, database, settings) -> Context:
    payload = await sign_up(client)
    context = Context(database=database, config=context_config(settings))
    headers = [(b"authorization", f"Bearer {payload['token']}".encode())]
    context.request = Request({"type": "http", "method": "POST", "headers": headers, "path": "/graphql"})
    return context


async def test_resolvers_alongside_a_cancelled_first_lookup_still_get_the_viewer(client, database, settings):
    """Cancelling the resolver whose `viewer()` call started the lookup cancels neither the lookup nor the
    resolvers waiting alongside (a statement cancelled half-way would leave the operation's session
    unusable on SQLite, and the pool's connection in doubt on PostgreSQL)."""
    context = await _viewer_context(client, database, settings)
    try:
        first = asyncio.ensure_future(context.viewer())
        await asyncio.sleep(0)  # the first lookup is under way
        second = asyncio.ensure_future(context.viewer())
        await asyncio.sleep(0)
        first.cancel()
        viewer = await second
        assert first.cancelled() and viewer is not None and viewer.user.email == "ann@example.com"
        assert await context.viewer() is viewer and context.current_session_id == viewer.session.id
    finally:
        await context.finish(commit=False)
    # Every connection of the pool is usable afterwards.
    for _ in range(2 * settings.pool_size):
        again = Context(database=database, config=context_config(settings))
        again.request = context.request
        try:
            assert (await again.viewer()).session.id == viewer.session.id
        finally:
            await again.finish(commit=False)


async def test_a_failed_first_lookup_fails_every_resolver_waiting_on_it(client, database, settings, monkeypatch):
    context = await _viewer_context(client, database, settings)

    async def broken(**_kwargs):
        await asyncio.sleep(0)
        raise RuntimeError("lookup failed")

    monkeypatch.setattr(context, "_authenticate", broken)
    try:
        results = await asyncio.gather(context.viewer(), context.viewer(), return_exceptions=True)
        assert [str(result) for result in results] == ["lookup failed", "lookup failed"]
        assert context.current_session_id is None
    finally:
        await context.finish(commit=False)
