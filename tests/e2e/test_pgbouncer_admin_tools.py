"""Bans, impersonation and the security event log through a real PgBouncer in transaction mode
(DB_POOLER=transaction), many at once: no error (prepared statements included), every event written."""

from __future__ import annotations

import asyncio

from tests.e2e.test_pgbouncer import bouncer_url  # noqa: F401 - the fixture
from tests.support.auth import PASSWORD, sign_in, sign_up
from tests.support.events import events_of
from tests.support.factories import signed_in_admin

USERS = 8
PAGE = """query($after: String) { securityEvents(first: 5, after: $after) {
  pageInfo { endCursor } edges { node { type user { email } actor { email } } } } }"""


async def test_admin_tools_under_concurrency_through_pgbouncer(bouncer_url, make_client, database):  # noqa: F811
    _, admin_token = await signed_in_admin(database)
    async with make_client(database_url=bouncer_url, db_pooler="transaction", pool_size=4, max_overflow=4,
                           sign_up_max_per_ip=100) as client:

        async def gql(query, variables=None, token=admin_token):
            body = await client.gql(query, variables, token=token)
            assert "errors" not in body, body
            return body["data"]

        async def life(index: int) -> None:
            email = f"bouncer-admin{index}@example.com"
            user_id = (await sign_up(client, email=email))["user"]["id"]
            assert (await sign_in(client, email=email, password="not the right password"))["token"] is None
            started = await gql("mutation($id: ID!) { impersonateUser(id: $id) { token errors { code } } }", {"id": user_id})
            as_user = started["impersonateUser"]["token"]
            own = await gql("{ viewer { securityEvents(first: 10) { edges { node { type actor { id } } } } } }", token=as_user)
            assert {"node": {"type": "IMPERSONATION_STARTED", "actor": None}} in own["viewer"]["securityEvents"]["edges"]
            await gql("mutation { stopImpersonating { errors { code } } }", token=as_user)
            banned = await gql("mutation($id: ID!) { banUser(id: $id, input: {reason: \"r\"}) { errors { code } } }", {"id": user_id})
            assert banned["banUser"]["errors"] == []
            assert (await sign_in(client, email=email, password=PASSWORD))["errors"][0]["code"] == "ACCOUNT_BANNED"
            await gql("mutation($id: ID!) { unbanUser(id: $id) { errors { code } } }", {"id": user_id})

        async def pages() -> None:
            after = None
            for _page in range(3):
                data = await gql(PAGE, {"after": after})
                after = data["securityEvents"]["pageInfo"]["endCursor"]

        await asyncio.gather(*(life(index) for index in range(USERS)), *(pages() for _ in range(4)))
    counts = {}
    for event in await events_of(database):
        counts[event.type] = counts.get(event.type, 0) + 1
    assert counts == {"SIGNED_UP": USERS, "SIGN_IN_FAILED": 2 * USERS, "IMPERSONATION_STARTED": USERS,
                      "IMPERSONATION_STOPPED": USERS, "USER_BANNED": USERS, "USER_UNBANNED": USERS}

