"""signIn: one error for unknown email and wrong password, disabled accounts, hash upgrades."""

from sqlalchemy import select, update

from db.services.passwords import Argon2Params, hash_password
from db.models import User
from tests.support.auth import PASSWORD, VIEWER, codes, sign_in, sign_up
from api.policies import password_hashing


async def test_sign_in_returns_a_new_session_and_token(client, settings):
    signed_up = await sign_up(client)
    response = await client.post("/graphql", json={"query": "mutation ($i: SignInInput!) { signIn(input: $i) "
                                 "{ token session { id isCurrent status } user { email lastSignInAt } errors { code } } }",
                                 "variables": {"i": {"email": " ANN@example.com", "password": PASSWORD}}})
    payload = response.json()["data"]["signIn"]
    assert payload["errors"] == []
    assert payload["token"] != signed_up["token"]
    assert payload["session"]["id"] != signed_up["session"]["id"]
    assert payload["session"]["isCurrent"] and payload["session"]["status"] == "ACTIVE"
    assert payload["user"]["lastSignInAt"] > signed_up["user"]["lastSignInAt"]
    assert response.headers["set-cookie"].startswith(f"{settings.cookie_name}={payload['token']};")
    for token in (signed_up["token"], payload["token"]):
        assert (await client.gql(VIEWER, token=token))["data"]["viewer"]["email"] == "ann@example.com"


async def test_unknown_email_and_wrong_password_look_the_same(client):
    await sign_up(client)
    unknown = await sign_in(client, email="bob@example.com")
    wrong = await sign_in(client, password="correct horse battery stapler")
    assert unknown == wrong == {
        "token": None, "session": None, "user": None,
        "errors": [{"field": None, "code": "INVALID_CREDENTIALS", "message": "Wrong email or password"}],
    }


async def test_an_invalid_email_is_just_invalid_credentials(client):
    assert codes(await sign_in(client, email="not an email")) == ["INVALID_CREDENTIALS"]


async def test_a_disabled_account_is_told_only_after_the_right_password(client, database):
    signed_up = await sign_up(client)
    async with database.sessionmaker() as session:
        await session.execute(update(User).values(is_active=False))
        await session.commit()
    assert codes(await sign_in(client, password="wrong password 123")) == ["INVALID_CREDENTIALS"]
    disabled = await sign_in(client)
    assert codes(disabled) == ["ACCOUNT_DISABLED"] and disabled["token"] is None
    # ...and the sessions it already had stopped working.
    assert (await client.gql(VIEWER, token=signed_up["token"]))["data"]["viewer"] is None


async def test_an_outdated_hash_is_upgraded_on_sign_in(client, database, settings):
    await sign_up(client)
    old = Argon2Params(time_cost=2, memory_cost=2048, parallelism=1)
    assert old != password_hashing(settings).params
    old_hash = await hash_password(PASSWORD, old)
    async with database.sessionmaker() as session:
        await session.execute(update(User).values(password_hash=old_hash))
        await session.commit()

    assert (await sign_in(client))["errors"] == []
    async with database.sessionmaker() as session:
        new_hash = await session.scalar(select(User.password_hash))
    current = password_hashing(settings).params
    assert new_hash != old_hash
    assert f"m={current.memory_cost},t={current.time_cost},p={current.parallelism}" in new_hash
    assert (await sign_in(client))["errors"] == []


async def test_a_wrong_password_does_not_upgrade_the_hash(client, database):
    await sign_up(client)
    old_hash = await hash_password(PASSWORD, Argon2Params(time_cost=2, memory_cost=2048, parallelism=1))
    async with database.sessionmaker() as session:
        await session.execute(update(User).values(password_hash=old_hash))
        await session.commit()
    assert codes(await sign_in(client, password="not the password 42")) == ["INVALID_CREDENTIALS"]
    async with database.sessionmaker() as session:
        assert await session.scalar(select(User.password_hash)) == old_hash
