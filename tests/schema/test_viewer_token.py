"""A bearer token (or the cookie) authenticates; bad tokens of every kind are simply anonymous."""

from datetime import timedelta

import pytest

from db.models import User
from db.services.sessions import SessionPolicy, create_session, revoke_sessions
from db.types import utcnow

POLICY = SessionPolicy(ttl=timedelta(days=30), refresh_after=timedelta(days=1))


async def make_session(database, *, email="ann@example.com", now=None):
    async with database.sessionmaker() as session:
        user = User(email=email, name="Ann", password_hash="x")
        session.add(user)
        await session.flush()
        login, token = await create_session(session, user=user, policy=POLICY, ip_address="127.0.0.1",
                                            user_agent="pytest", now=now)
        await session.commit()
        return user, login, token


async def test_bearer_token_authenticates(client, database):
    _, _, token = await make_session(database)
    body = await client.gql("{ viewer { email } }", token=token)
    assert body == {"data": {"viewer": {"email": "ann@example.com"}}}


async def test_cookie_authenticates(client, database, settings):
    _, _, token = await make_session(database)
    client.cookies.set(settings.cookie_name, token)
    response = await client.post("/graphql", json={"query": "{ viewer { email } }"})
    assert response.json() == {"data": {"viewer": {"email": "ann@example.com"}}}


@pytest.mark.parametrize("cookie", ["nonsense", "A" * 43, "x" * 5000, '"quoted;value"', "%00%ff"])
async def test_bad_cookies_are_anonymous(client, database, settings, cookie):
    await make_session(database)
    client.cookies.set(settings.cookie_name, cookie)
    response = await client.post("/graphql", json={"query": "{ viewer { email } }"})
    assert response.status_code == 200
    assert response.json() == {"data": {"viewer": None}}


@pytest.mark.parametrize("header", ["Bearer nonsense", "Bearer " + "A" * 43, "Basic abc", "Bearer ", ("Bearer " + "\u00e9" * 30).encode("latin-1")])
async def test_bad_tokens_are_anonymous(client, database, header):
    await make_session(database)
    response = await client.post("/graphql", json={"query": "{ viewer { email } }"}, headers={"Authorization": header})
    assert response.status_code == 200
    assert response.json() == {"data": {"viewer": None}}


async def test_revoked_token_is_anonymous(client, database):
    user, _, token = await make_session(database)
    async with database.sessionmaker() as session:
        assert await revoke_sessions(session, user_id=user.id) == 1
        await session.commit()
    assert (await client.gql("{ viewer { email } }", token=token))["data"]["viewer"] is None


async def test_expired_token_is_anonymous(client, database):
    _, _, token = await make_session(database, now=utcnow() - timedelta(days=31))
    assert (await client.gql("{ viewer { email } }", token=token))["data"]["viewer"] is None
