"""Failed sign-ins are limited per email and per client IP, with the count kept in the database."""

from datetime import timedelta

import httpx
from sqlalchemy import func, select, update

from api.security.passwords import Argon2Params, hash_password
from db.models import SignInFailure, User
from db.types import utcnow
from tests.support.auth import PASSWORD, SIGN_UP, client_from, codes, sign_in, sign_up
from tests.support.server import running_server

WRONG = "not the password 42"


async def failure_count(database) -> int:
    async with database.sessionmaker() as session:
        return await session.scalar(select(func.count()).select_from(SignInFailure))


async def test_the_email_limit_holds_across_two_app_instances(make_client, database, settings):
    async with make_client() as first, make_client() as second:
        await sign_up(first)
        for attempt in range(settings.sign_in_max_failures_per_email):
            instance = (first, second)[attempt % 2]
            assert codes(await sign_in(instance, password=WRONG)) == ["INVALID_CREDENTIALS"]
        for instance in (first, second):
            limited = await sign_in(instance, email="ANN@example.com")  # the right password, any case
            assert limited["token"] is None
            assert limited["errors"] == [{"field": None, "code": "RATE_LIMITED",
                                          "message": "Too many failed attempts; try again later"}]


async def test_a_limited_sign_in_does_not_check_the_password(client, database, settings):
    await sign_up(client)
    for _ in range(settings.sign_in_max_failures_per_email):
        await sign_in(client, password=WRONG)
    # An outdated hash would be upgraded by any successful check of the right password.
    old_hash = await hash_password(PASSWORD, Argon2Params(time_cost=2, memory_cost=2048, parallelism=1))
    async with database.sessionmaker() as session:
        await session.execute(update(User).values(password_hash=old_hash))
        await session.commit()
    failures = await failure_count(database)

    assert codes(await sign_in(client)) == ["RATE_LIMITED"]
    assert codes(await sign_in(client, password=WRONG)) == ["RATE_LIMITED"]
    assert await failure_count(database) == failures
    async with database.sessionmaker() as session:
        assert await session.scalar(select(User.password_hash)) == old_hash


async def test_failures_older_than_the_window_do_not_count(client, database, settings):
    await sign_up(client)
    long_ago = utcnow() - timedelta(minutes=settings.sign_in_window_minutes + 1)
    async with database.sessionmaker() as session:
        session.add_all(SignInFailure(email="ann@example.com", ip_address="127.0.0.1", created_at=long_ago)
                        for _ in range(settings.sign_in_max_failures_per_ip))
        await session.commit()
    assert (await sign_in(client))["errors"] == []


async def test_a_successful_sign_in_clears_the_email_failures(client, database, settings):
    await sign_up(client)
    for _ in range(settings.sign_in_max_failures_per_email - 1):
        await sign_in(client, password=WRONG)
    assert (await sign_in(client))["errors"] == []
    for _ in range(settings.sign_in_max_failures_per_email - 1):
        assert codes(await sign_in(client, password=WRONG)) == ["INVALID_CREDENTIALS"]
    assert (await sign_in(client))["errors"] == []


async def test_the_ip_limit_spans_emails_and_spares_other_ips(make_client, settings):
    async with client_from(settings, "192.0.2.10") as attacker, client_from(settings, "192.0.2.20") as other:
        await sign_up(other, email="victim@example.com")
        for attempt in range(settings.sign_in_max_failures_per_ip):
            assert codes(await sign_in(attacker, email=f"guess{attempt}@example.com", password=WRONG)) == [
                "INVALID_CREDENTIALS"]
        assert codes(await sign_in(attacker, email="victim@example.com")) == ["RATE_LIMITED"]
        assert (await sign_in(other, email="victim@example.com"))["errors"] == []


async def test_the_client_ip_is_the_tcp_peer_not_a_header(settings):
    async with client_from(settings, "192.0.2.30") as client:
        payload = await sign_up(client, headers={"X-Forwarded-For": "203.0.113.7", "X-Real-IP": "203.0.113.8"})
    assert payload["session"]["ipAddress"] == "192.0.2.30"


def test_x_forwarded_for_counts_only_from_a_trusted_proxy(tmp_path, database_url):
    """The real server: uvicorn honours X-Forwarded-For only when the peer is in FORWARDED_ALLOW_IPS."""
    url = database_url if database_url.startswith("postgresql") else f"sqlite+aiosqlite:///{tmp_path}/xff.db"
    seen = {}
    for trusted in ("127.0.0.1", "192.0.2.99"):
        with running_server({"DATABASE_URL": url, "FORWARDED_ALLOW_IPS": trusted}, tmp_path=tmp_path) as server:
            reply = httpx.post(f"{server.base_url}/graphql", timeout=30, headers={"X-Forwarded-For": "203.0.113.7"},
                               json={"query": SIGN_UP, "variables": {"input": {
                                   "email": f"xff-{trusted}@example.com", "password": PASSWORD, "name": "X"}}})
            seen[trusted] = reply.json()["data"]["signUp"]["session"]["ipAddress"]
    assert seen == {"127.0.0.1": "203.0.113.7", "192.0.2.99": "127.0.0.1"}
