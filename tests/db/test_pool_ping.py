"""The pool tests a connection that sat idle before using it (db/engine.py), with one round trip, and
only then: a connection broken while idle is replaced without failing a request, while one used
moments ago is trusted (and, if broken, fails one request, after which the pool recovers; the viewer
lookup outside a transaction reads again on a new connection instead)."""

from __future__ import annotations

from sqlalchemy.engine import make_url

from tests.support.tcp_proxy import tcp_proxy

VIEWER = "{ viewer { id } }"
UNKNOWN_TOKEN = "u" * 43  # makes `viewer` look the session up in the database
ANONYMOUS = {"data": {"viewer": None}}
SIGN_IN = 'mutation { signIn(input: {email: "nobody@example.com", password: "not the password"}) { __typename } }'


async def _break_pooled_connections(proxy) -> None:
    await proxy.cut()  # drops the open connections ...
    await proxy.restore()  # ... and accepts new ones again


def _proxied_client(make_client, proxy, database_url, **overrides):
    url = make_url(database_url).set(host=proxy.host, port=proxy.port)
    return make_client(database_url=url.render_as_string(hide_password=False), pool_size=1, max_overflow=0, **overrides)


async def _viewer_lookup_replaces_the_broken_connection(make_client, database_url, *, pool_pre_ping_idle: int):
    url = make_url(database_url)
    async with tcp_proxy(url.host, url.port or 5432) as proxy:
        async with _proxied_client(make_client, proxy, database_url, pool_pre_ping_idle=pool_pre_ping_idle) as client:
            assert await client.gql(VIEWER, token=UNKNOWN_TOKEN) == ANONYMOUS
            accepted = proxy.connections_accepted
            await _break_pooled_connections(proxy)
            assert await client.gql(VIEWER, token=UNKNOWN_TOKEN) == ANONYMOUS
            assert proxy.connections_accepted == accepted + 1  # the broken one was replaced


async def test_a_connection_broken_while_idle_is_replaced_before_use(requires_postgres, database_url, make_client):
    # Idle limit 0: every checkout is tested, as for a connection idle longer than the limit.
    await _viewer_lookup_replaces_the_broken_connection(make_client, database_url, pool_pre_ping_idle=0)


async def test_a_connection_used_moments_ago_is_trusted_and_the_pool_recovers(
    requires_postgres, database_url, make_client
):
    # A sign-in reads and writes through the operation's session, which does not retry.
    url = make_url(database_url)
    async with tcp_proxy(url.host, url.port or 5432) as proxy:
        async with _proxied_client(make_client, proxy, database_url, pool_pre_ping_idle=3600) as client:
            assert "errors" not in await client.gql(SIGN_IN)
            await _break_pooled_connections(proxy)
            failed = await client.gql(SIGN_IN)
            assert [error["extensions"]["code"] for error in failed["errors"]] == ["INTERNAL_SERVER_ERROR"]
            assert "errors" not in await client.gql(SIGN_IN)


async def test_the_direct_viewer_lookup_replaces_a_broken_trusted_connection(
    requires_postgres, database_url, make_client
):
    # The viewer lookup outside a transaction (db/services/sessions.py) may safely run again: on a
    # connection that broke since its last use (trusted: no test before use) it closes that one and
    # reads on a new one.
    await _viewer_lookup_replaces_the_broken_connection(make_client, database_url, pool_pre_ping_idle=3600)
