"""signUp: a validated, unique user, a session, a token shown once and an HttpOnly cookie."""

import asyncio
import hashlib

import pytest

from sqlalchemy import func, select, text

from db.models import Session, User
from tests.support.auth import PASSWORD, SIGN_UP, VIEWER, codes, sign_in, sign_up


async def test_sign_up_returns_a_token_that_authenticates(client):
    payload = await sign_up(client, email="  Ann@Example.com ", headers={"User-Agent": "pytest-browser"})
    assert payload["errors"] == []
    assert len(payload["token"]) >= 43  # 32 random bytes, URL-safe base64
    assert payload["user"]["email"] == "Ann@example.com"
    assert payload["user"]["lastSignInAt"] is not None
    session = payload["session"]
    assert session["status"] == "ACTIVE" and session["isCurrent"] is True
    assert session["ipAddress"] == "127.0.0.1" and session["userAgent"] == "pytest-browser"

    viewer = await client.gql(VIEWER, token=payload["token"])
    assert viewer["data"]["viewer"] == {"id": payload["user"]["id"], "email": "Ann@example.com", "name": "Ann"}


async def test_sign_up_sets_a_secure_http_only_cookie(client, settings):
    response = await client.post("/graphql", json={"query": SIGN_UP, "variables": {
        "input": {"email": "ann@example.com", "password": PASSWORD, "name": "Ann"}}})
    token = response.json()["data"]["signUp"]["token"]
    cookie = response.headers["set-cookie"]
    attributes = [part.strip().lower() for part in cookie.split(";")]
    assert attributes[0] == f"{settings.cookie_name}={token}".lower()
    assert "httponly" in attributes and "secure" in attributes and "samesite=lax" in attributes
    assert f"max-age={int(settings.session_ttl_days * 86400)}" in attributes
    assert "path=/" in attributes

    client.cookies.clear()  # not sent back by itself: the test client speaks plain http and the cookie is Secure
    client.cookies.set(settings.cookie_name, token)
    viewer = await client.post("/graphql", json={"query": VIEWER})
    assert viewer.json()["data"]["viewer"]["email"] == "ann@example.com"


async def test_the_cookie_is_not_secure_in_debug(make_client):
    async with make_client(debug=True) as client:
        response = await client.post("/graphql", json={"query": SIGN_UP, "variables": {
            "input": {"email": "ann@example.com", "password": PASSWORD, "name": "Ann"}}})
    assert "httponly" in response.headers["set-cookie"].lower()
    assert "secure" not in response.headers["set-cookie"].lower()


async def test_only_the_sha256_of_the_token_is_stored(client, database):
    payload = await sign_up(client)
    token = payload["token"]
    async with database.engine.connect() as connection:
        rows = (await connection.execute(text("SELECT * FROM sessions"))).mappings().all()
        users = (await connection.execute(text("SELECT * FROM users"))).mappings().all()
    assert len(rows) == 1
    assert rows[0]["token_hash"] == hashlib.sha256(token.encode()).hexdigest()
    stored = " ".join(str(value) for row in [*rows, *users] for value in row.values())
    assert token not in stored and PASSWORD not in stored
    assert users[0]["password_hash"].startswith("$argon2id$")


async def test_a_copied_token_hash_does_not_authenticate(client, database):
    await sign_up(client)
    async with database.sessionmaker() as session:
        token_hash = await session.scalar(select(Session.token_hash))
    assert (await client.gql(VIEWER, token=token_hash))["data"]["viewer"] is None


async def test_email_is_unique_whatever_its_case(client):
    assert (await sign_up(client, email="ann@example.com"))["errors"] == []
    again = await sign_up(client, email=" ANN@Example.COM")
    assert again["token"] is None and again["user"] is None
    assert again["errors"] == [{"field": ["input", "email"], "code": "EMAIL_TAKEN",
                                "message": "An account with this email already exists"}]


@pytest.mark.parametrize(("first", "second"), [
    ("Ünal@example.com", "ünal@example.com"),  # SQLite's lower() folds ASCII only
    ("Ünal@example.com", "U\u0308nal@example.com"),  # NFC: composed or not, one letter
    ("ann@bücher.example", "ann@xn--bcher-kva.example"),  # one domain in DNS
])
async def test_email_is_unique_whatever_its_unicode_case_or_form(client, first, second):
    created = await sign_up(client, email=first)
    assert created["errors"] == [] and created["user"]["email"] == first
    assert codes(await sign_up(client, email=second)) == ["EMAIL_TAKEN"]
    for email in (first, second, f" {second.upper()} "):
        signed_in = await sign_in(client, email=email)
        assert signed_in["errors"] == [] and signed_in["user"]["email"] == first


@pytest.mark.parametrize(("first", "second"), [
    ("straße@example.com", "strasse@example.com"),
    ("ｖｉｃｔｉｍ@example.com", "victim@example.com"),  # fullwidth letters
])
async def test_forms_that_may_be_other_mailboxes_are_other_accounts(client, first, second):
    """Not one account: whoever signed up first with one form would lock the other's owner out."""
    assert (await sign_up(client, email=first))["errors"] == []
    other = await sign_up(client, email=second)
    assert other["errors"] == [] and other["user"]["email"] == second


async def test_several_invalid_fields_give_several_errors(client):
    payload = await sign_up(client, email="not an email", password="short", name="   ")
    assert payload["token"] is None and payload["session"] is None and payload["user"] is None
    by_field = {tuple(error["field"]): error["code"] for error in payload["errors"]}
    assert by_field == {("input", "email"): "INVALID_INPUT", ("input", "name"): "INVALID_INPUT",
                        ("input", "password"): "WEAK_PASSWORD"}


async def test_weak_passwords_are_refused_with_a_hint(client):
    guessable = await sign_up(client, password="password1")
    assert codes(guessable) == ["WEAK_PASSWORD"]
    assert guessable["errors"][0]["message"].startswith("Password is too easy to guess")
    assert codes(await sign_up(client, password="x" * 257)) == ["WEAK_PASSWORD"]
    # Longer than zxcvbn accepts, within the contract's 256: scored, never a 500.
    assert (await sign_up(client, password="Tr0ub4dor&3-" * 20))["errors"] == []


async def test_sign_up_can_be_disabled(make_client, database):
    async with make_client(allow_sign_up=False) as client:
        payload = await sign_up(client)
    assert payload["token"] is None
    assert codes(payload) == ["SIGN_UP_DISABLED"]
    async with database.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(User)) == 0


async def test_concurrent_sign_ups_with_one_email_give_one_user(client, database):
    """The race the unique index settles: the check-then-insert of each request both see no user."""
    results = await asyncio.gather(*(
        sign_up(client, email=email) for email in ["race@example.com", "Race@Example.com", "RACE@example.com"]
    ))
    succeeded = [payload for payload in results if payload["token"]]
    assert len(succeeded) == 1
    assert sorted(code for payload in results for code in codes(payload)) == ["EMAIL_TAKEN", "EMAIL_TAKEN"]
    async with database.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(User)) == 1
        assert await session.scalar(select(func.count()).select_from(Session)) == 1


async def test_sign_up_payload_shows_the_new_users_own_sessions(client):
    body = await client.gql(
        'mutation { signUp(input: {email: "new@example.com", password: "correct horse battery staple", name: "New"})'
        " { user { email sessions { totalCount edges { node { isCurrent status } } } } errors { code } } }"
    )
    payload = body["data"]["signUp"]
    assert payload["errors"] == []
    assert payload["user"]["sessions"] == {"totalCount": 1, "edges": [{"node": {"isCurrent": True, "status": "ACTIVE"}}]}
