"""Failed password checks are limited per email and client IP, per email and per IP, and sign-ups per
IP, with the attempts kept in the database: the limits hold across app instances and under concurrency,
and a failure counts whatever its operation does."""

import asyncio
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select, update

from db.services.passwords import Argon2Params, hash_password
from db.models import Attempt, User
from db.services import auth
from db.services.errors import Rejected
from db.services.origin import Client
from db.types import utcnow
from schema.context import Context
from tests.support.auth import PASSWORD, SIGN_UP, client_from, codes, sign_in, sign_up
from tests.support.server import running_server
from api.policies import context_config, password_hashing

WRONG = "not the password 42"


async def failure_count(database) -> int:
    async with database.sessionmaker() as session:
        return await session.scalar(select(func.count()).select_from(Attempt).where(Attempt.action == "password"))


async def test_the_email_and_ip_limit_holds_across_two_app_instances(make_client, database, settings):
    async with make_client() as first, make_client() as second:
        await sign_up(first)
        for attempt in range(settings.sign_in_max_failures_per_email_and_ip):
            instance = (first, second)[attempt % 2]
            assert codes(await sign_in(instance, password=WRONG)) == ["INVALID_CREDENTIALS"]
        for instance in (first, second):
            limited = await sign_in(instance, email="ANN@example.com")  # the right password, any case
            assert limited["token"] is None
            assert limited["errors"] == [{"field": None, "code": "RATE_LIMITED",
                                          "message": "Too many failed attempts; try again later"}]


async def test_a_limited_sign_in_does_not_check_the_password(client, database, settings):
    await sign_up(client)
    for _ in range(settings.sign_in_max_failures_per_email_and_ip):
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
        session.add_all(
            Attempt(action="password", email="ann@example.com", ip_address="127.0.0.1", created_at=long_ago)
            for _ in range(settings.sign_in_max_failures_per_ip)
        )
        await session.commit()
    assert (await sign_in(client))["errors"] == []


async def test_a_successful_sign_in_clears_the_failures_of_that_email_and_ip(client, database, settings):
    await sign_up(client)
    for _ in range(settings.sign_in_max_failures_per_email_and_ip - 1):
        await sign_in(client, password=WRONG)
    assert (await sign_in(client))["errors"] == []
    assert await failure_count(database) == 0
    for _ in range(settings.sign_in_max_failures_per_email_and_ip - 1):
        assert codes(await sign_in(client, password=WRONG)) == ["INVALID_CREDENTIALS"]
    assert (await sign_in(client))["errors"] == []


async def test_someone_elses_failures_from_another_ip_do_not_lock_the_owner_out(settings):
    async with client_from(settings, "192.0.2.40") as attacker, client_from(settings, "192.0.2.41") as owner:
        await sign_up(owner, email="victim@example.com")
        for _ in range(settings.sign_in_max_failures_per_email_and_ip):
            assert codes(await sign_in(attacker, email="victim@example.com", password=WRONG)) == [
                "INVALID_CREDENTIALS"]
        assert codes(await sign_in(attacker, email="victim@example.com")) == ["RATE_LIMITED"]
        assert (await sign_in(owner, email="victim@example.com"))["errors"] == []
        # The owner's success clears only the owner's own IP: the attacker's IP stays limited.
        assert codes(await sign_in(attacker, email="victim@example.com")) == ["RATE_LIMITED"]


async def test_the_per_email_ceiling_spans_every_ip(settings):
    limited = settings.model_copy(update={"sign_in_max_failures_per_email": 4})
    peers = [f"192.0.2.{50 + n}" for n in range(3)]
    async with client_from(limited, "192.0.2.60") as owner:
        await sign_up(owner, email="victim@example.com")
        for attempt in range(4):
            async with client_from(limited, peers[attempt % 3]) as attacker:
                assert codes(await sign_in(attacker, email="victim@example.com", password=WRONG)) == [
                    "INVALID_CREDENTIALS"]
        assert codes(await sign_in(owner, email="victim@example.com")) == ["RATE_LIMITED"]


async def test_the_ip_limit_spans_emails_and_spares_other_ips(make_client, settings):
    async with client_from(settings, "192.0.2.10") as attacker, client_from(settings, "192.0.2.20") as other:
        await sign_up(other, email="victim@example.com")
        for attempt in range(settings.sign_in_max_failures_per_ip):
            assert codes(await sign_in(attacker, email=f"guess{attempt}@example.com", password=WRONG)) == [
                "INVALID_CREDENTIALS"]
        assert codes(await sign_in(attacker, email="victim@example.com")) == ["RATE_LIMITED"]
        assert (await sign_in(other, email="victim@example.com"))["errors"] == []


@pytest.mark.parametrize("concurrency", [1, 8])
async def test_concurrent_wrong_passwords_never_check_more_than_the_limit(settings, concurrency):
    """Regression (issue 13, finding 4): check and count were not atomic, and were committed at the end
    of each operation, so 30 concurrent guesses had 12 checked against a limit of 5."""
    overrides = settings.model_copy(update={"password_hashing_concurrency": concurrency})
    async with client_from(overrides, "192.0.2.70") as client:
        await sign_up(client, email="victim@example.com")
        results = await asyncio.gather(*(sign_in(client, email="victim@example.com", password=WRONG)
                                         for _ in range(30)))
    outcomes = [code for payload in results for code in codes(payload)]
    assert len(outcomes) == 30
    assert outcomes.count("INVALID_CREDENTIALS") <= settings.sign_in_max_failures_per_email_and_ip
    # Attempts in flight count too, so a burst may be refused whole: never more checks than the limit.
    assert set(outcomes) <= {"INVALID_CREDENTIALS", "RATE_LIMITED"}
    async with client_from(overrides, "192.0.2.71") as owner:  # refused attempts left nothing behind
        assert (await sign_in(owner, email="victim@example.com"))["errors"] == []


async def test_a_failed_check_counts_even_when_its_operation_rolls_back(database, settings):
    """Regression (issue 13, finding 1): a failure recorded in the operation's transaction vanished when
    any other field of the operation failed."""
    context = Context(database=database, config=context_config(settings))
    async with context.db() as session:
        session.add(User(email="ann@example.com", name="Ann",
                         password_hash=await hash_password(PASSWORD, password_hashing(settings).params)))
    await context.finish(commit=True)

    for _ in range(settings.sign_in_max_failures_per_email_and_ip):
        context = Context(database=database, config=context_config(settings))
        with pytest.raises(Rejected):
            await auth.sign_in(context.unit, policy=context.config.auth, email="ann@example.com", password=WRONG,
                               client=Client("192.0.2.80"))
        await context.finish(commit=False)  # as when a sibling field fails
    assert await failure_count(database) == settings.sign_in_max_failures_per_email_and_ip

    context = Context(database=database, config=context_config(settings))
    with pytest.raises(Rejected) as refused:
        await auth.sign_in(context.unit, policy=context.config.auth, email="ann@example.com", password=PASSWORD,
                           client=Client("192.0.2.80"))
    await context.finish(commit=False)
    assert [problem.code.value for problem in refused.value.problems] == ["RATE_LIMITED"]


async def test_a_right_password_in_a_rolled_back_operation_leaves_no_failure(database, settings):
    context = Context(database=database, config=context_config(settings))
    async with context.db() as session:
        session.add(User(email="ann@example.com", name="Ann",
                         password_hash=await hash_password(PASSWORD, password_hashing(settings).params)))
    await context.finish(commit=True)
    context = Context(database=database, config=context_config(settings))
    await auth.sign_in(context.unit, policy=context.config.auth, email="ann@example.com", password=PASSWORD,
                       client=Client("192.0.2.81"))
    await context.finish(commit=False)
    assert await failure_count(database) == 0


async def test_sign_ups_are_limited_per_client_ip(settings):
    async with client_from(settings, "192.0.2.90") as busy, client_from(settings, "192.0.2.91") as other:
        for n in range(settings.sign_up_max_per_ip):
            assert (await sign_up(busy, email=f"user{n}@example.com"))["errors"] == []
        refused = await sign_up(busy, email="one-more@example.com")
        assert refused["token"] is None and refused["user"] is None
        assert codes(refused) == ["RATE_LIMITED"]
        assert codes(await sign_up(busy, email="user0@example.com")) == ["RATE_LIMITED"]  # even a taken one
        assert (await sign_up(other, email="one-more@example.com"))["errors"] == []


async def test_a_taken_email_is_refused_and_counts_as_a_sign_up_attempt(database, settings):
    async with client_from(settings, "192.0.2.92") as client:
        await sign_up(client)
        assert codes(await sign_up(client, email="ANN@example.com")) == ["EMAIL_TAKEN"]
    async with database.sessionmaker() as session:
        assert await session.scalar(
            select(func.count()).select_from(Attempt).where(Attempt.action == "sign_up")) == 2


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


async def test_ipv6_addresses_of_one_64_share_the_ip_limit(settings):
    """Found by the adversarial review: counting single IPv6 addresses gave whoever holds a /64 (one
    subscriber, usually) 2^64 addresses' worth of tries."""
    for n in range(settings.sign_in_max_failures_per_ip):
        async with client_from(settings, f"2001:db8:1:2::{n + 1:x}") as attacker:
            assert codes(await sign_in(attacker, email=f"guess{n}@example.com", password=WRONG)) == [
                "INVALID_CREDENTIALS"]
    async with client_from(settings, "2001:db8:1:2:ffff::9") as same_64, \
            client_from(settings, "2001:db8:1:3::1") as next_64:
        assert codes(await sign_in(same_64, email="another@example.com", password=WRONG)) == ["RATE_LIMITED"]
        assert codes(await sign_in(next_64, email="another@example.com", password=WRONG)) == [
            "INVALID_CREDENTIALS"]


def test_long_emails_with_one_prefix_are_counted_apart():
    from db.services.rate_limit import failure_key

    first, second = "a" * 330 + "1@example.com", "a" * 330 + "2@example.com"
    assert failure_key(first) != failure_key(second)
    assert len(failure_key(first)) <= 320
    assert failure_key("Ann@Example.com") == "ann@example.com"
