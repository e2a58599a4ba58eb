"""Production topology: the API behind a real PgBouncer in transaction pooling mode (DB_POOLER=transaction)
works under concurrent load with no "prepared statement does not exist" errors."""

from __future__ import annotations

import asyncio
import secrets

import pytest

from tests.support.pgbouncer import pgbouncer_binary, running_pgbouncer

CONCURRENCY = 40


@pytest.fixture
def bouncer_url(requires_postgres, database_url) -> str:
    if pgbouncer_binary() is None:
        pytest.skip("needs pgbouncer (apt-get install -y pgbouncer; .ci/run installs it)")
    # Fewer server connections than concurrent clients, so transactions really move between them.
    with running_pgbouncer(database_url, pool_size=3) as url:
        yield url.render_as_string(hide_password=False)


async def _load(client, database, settings_url: str) -> list[dict]:
    """Reads (parameterised, so asyncpg prepares them) and writes, all at once."""
    from api.policies import password_hashing
    from api.settings import get_settings
    from db.services.users import create_user
    from db.unit_of_work import UnitOfWork

    async def sign_up_directly(index: int) -> None:
        unit = UnitOfWork(database.sessionmaker)
        await create_user(
            unit, email=f"bouncer{index}-{secrets.token_hex(3)}@example.com", name=f"User {index}",
            password="pgb0uncer-Trans4ction!", passwords=password_hashing(get_settings()), field_prefix=(),
        )
        await unit.finish(commit=True)

    reads = [client.gql("{ viewer { id email } }", token=secrets.token_urlsafe(32)) for _ in range(CONCURRENCY)]
    writes = [sign_up_directly(index) for index in range(CONCURRENCY // 4)]
    results = await asyncio.gather(*reads, *writes, return_exceptions=True)
    return results


async def test_api_under_concurrent_load_through_pgbouncer_transaction_mode(bouncer_url, make_client, settings):
    from db.engine import Database
    from sqlalchemy import func, select

    from db.models import User

    overrides = dict(database_url=bouncer_url, db_pooler="transaction", pool_size=10, max_overflow=10)
    database = Database.from_settings(settings.model_copy(update=overrides))
    try:
        async with make_client(**overrides) as client:
            for _round in range(3):
                results = await _load(client, database, bouncer_url)
                failures = [result for result in results if isinstance(result, BaseException)]
                assert failures == []
                reads = results[:CONCURRENCY]
                assert reads == [{"data": {"viewer": None}}] * CONCURRENCY
            assert (await client.get("/health")).status_code == 200
        async with database.sessionmaker() as session:
            assert await session.scalar(select(func.count()).select_from(User)) == 3 * (CONCURRENCY // 4)
    finally:
        await database.dispose()


async def test_the_same_load_breaks_without_the_pooler_setting(bouncer_url, make_client, settings):
    """Shows the test above can fail: asyncpg's statement cache does not survive transaction pooling."""
    from db.engine import Database

    overrides = dict(database_url=bouncer_url, db_pooler="none", pool_size=10, max_overflow=10)
    database = Database.from_settings(settings.model_copy(update=overrides))
    try:
        async with make_client(**overrides) as client:
            problems = []
            for _round in range(3):
                results = await _load(client, database, bouncer_url)
                problems += [r for r in results if isinstance(r, BaseException) or (isinstance(r, dict) and r.get("errors"))]
            assert problems, "expected prepared-statement errors through PgBouncer without DB_POOLER=transaction"
    finally:
        await database.dispose()


async def test_auth_and_admin_flows_under_concurrency_through_pgbouncer(bouncer_url, make_client, database):
    """signUp, signIn, viewer, revokeOtherSessions, signOut and an admin's users page, many at once,
    through PgBouncer with DB_POOLER=transaction: no error at all (prepared statements included)."""
    from tests.support.auth import PASSWORD, sign_in, sign_up
    from tests.support.factories import signed_in_admin

    _, admin_token = await signed_in_admin(database)
    page = "query ($after: String) { users(first: 5, after: $after, orderBy: {field: LAST_SIGN_IN_AT}) { totalCount edges { cursor node { email } } } }"

    # 24 sign-ups from one client IP: more than the sign-up limit allows, which is not what this tests.
    async with make_client(database_url=bouncer_url, db_pooler="transaction", pool_size=5, max_overflow=5,
                           sign_up_max_per_ip=100) as client:

        async def life(index: int) -> None:
            email = f"bouncer-life{index}@example.com"
            signed_up = await sign_up(client, email=email)
            assert signed_up["errors"] == [], signed_up
            second = await sign_in(client, email=email, password=PASSWORD)
            assert second["errors"] == [], second
            for token in (signed_up["token"], second["token"]):
                assert (await client.gql("{ viewer { email } }", token=token)) == {"data": {"viewer": {"email": email}}}
            revoked = await client.gql("mutation { revokeOtherSessions { revokedCount errors { code } } }", token=second["token"])
            assert revoked == {"data": {"revokeOtherSessions": {"revokedCount": 1, "errors": []}}}
            assert (await client.gql("{ viewer { email } }", token=signed_up["token"])) == {"data": {"viewer": None}}
            out = await client.gql("mutation { signOut { errors { code } } }", token=second["token"])
            assert out == {"data": {"signOut": {"errors": []}}}

        async def admin_pages() -> None:
            after = None
            for _page in range(3):
                body = await client.gql(page, {"after": after}, token=admin_token)
                assert "errors" not in body, body
                edges = body["data"]["users"]["edges"]
                after = edges[-1]["cursor"] if edges else None

        for _round in range(2):
            offset = _round * 12
            await asyncio.gather(*(life(offset + index) for index in range(12)), *(admin_pages() for _ in range(4)))
        final = await client.gql("{ users(first: 100) { totalCount } }", token=admin_token)
        assert final == {"data": {"users": {"totalCount": 25}}}
