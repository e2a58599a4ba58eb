"""PostgreSQL going away while the API runs: /health says 503, GraphQL answers INTERNAL_SERVER_ERROR
instead of hanging, and everything recovers without a restart once the database is back. The outage
is real: a TCP proxy between the app and PostgreSQL is cut (connections dropped, new ones refused) or
stalled (packets black-holed)."""

from __future__ import annotations

import asyncio
import time

import pytest
from sqlalchemy.engine import make_url

from tests.support.tcp_proxy import tcp_proxy

VIEWER = "{ viewer { id } }"
UNKNOWN_TOKEN = "u" * 43  # makes `viewer` look the session up in the database
# Not a speed assertion: only a guard so that a hanging request fails the test instead of blocking it.
HANG_GUARD = 60


async def _viewer(client) -> dict:
    return await asyncio.wait_for(client.gql(VIEWER, token=UNKNOWN_TOKEN), HANG_GUARD)


async def _health(client) -> int:
    return (await asyncio.wait_for(client.get("/health"), HANG_GUARD)).status_code


def _proxied_settings(url, proxy) -> dict:
    proxied = url.set(host=proxy.host, port=proxy.port).render_as_string(hide_password=False)
    return dict(
        database_url=proxied, connect_timeout=1.0, statement_timeout_ms=2000, pool_timeout=2.0,
        health_timeout=1.0, pool_size=2, max_overflow=2,
    )


@pytest.mark.parametrize("outage", ["cut", "stall"])
async def test_outage_gives_503_and_internal_errors_then_recovers(requires_postgres, database_url, make_client, outage):
    url = make_url(database_url)
    async with tcp_proxy(url.host, url.port or 5432) as proxy:
        async with make_client(**_proxied_settings(url, proxy)) as client:
            assert await _health(client) == 200
            assert await _viewer(client) == {"data": {"viewer": None}}

            await getattr(proxy, outage)()
            assert await _health(client) == 503
            # Several at once, more than the pool holds: each one ends with an error, none hangs.
            bodies = await asyncio.gather(*(_viewer(client) for _ in range(6)))
            for body in bodies:
                codes = [error["extensions"]["code"] for error in body["errors"]]
                assert codes and set(codes) == {"INTERNAL_SERVER_ERROR"}, body
                assert all(error["extensions"]["requestId"] for error in body["errors"])

            await proxy.restore()
            assert await _health(client) == 200
            bodies = await asyncio.gather(*(_viewer(client) for _ in range(6)))
            assert bodies == [{"data": {"viewer": None}}] * 6


async def test_health_answers_within_its_timeout_when_pooled_connections_stall(
    requires_postgres, database_url, make_client
):
    """A stalled host used to cost /health its timeout plus the unwinding of the dead checkout (the
    pool's rollback, waiting for the statement timeout): ~3 s for a 1 s health timeout."""
    url = make_url(database_url)
    async with tcp_proxy(url.host, url.port or 5432) as proxy:
        overrides = _proxied_settings(url, proxy)
        async with make_client(**overrides) as client:
            assert await _health(client) == 200  # a pooled connection now exists, and will stall
            await proxy.stall()
            for _attempt in range(3):
                started = time.monotonic()
                response = await asyncio.wait_for(client.get("/health"), HANG_GUARD)
                elapsed = time.monotonic() - started
                assert response.status_code == 503
                assert response.json() == {"status": "unhealthy", "database": "no answer within 1s"}
                # Generous bound: the promise is "answers about when the timeout says", not a latency target.
                assert elapsed < overrides["health_timeout"] + 2, elapsed
            await proxy.restore()
            assert await _health(client) == 200
