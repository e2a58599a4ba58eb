"""A root field's error ends the operation while sibling resolvers are still running (graphql-core's
gather does not cancel them). Those stragglers must not open a new database session after the
operation's own was closed: nobody would ever close it (found by tests/schema/test_fuzz.py as an admin)."""

from __future__ import annotations

import asyncio

from schema.relay import to_global_id
from tests.support.factories import make_session, signed_in_admin

# `users` with both `first` and `last` is BAD_USER_INPUT on a non-null root field: `data` becomes null
# at once, while `user` (waiting on the database) and its sessions are still being resolved.
QUERY = """
query ($id: ID!) {
  users(first: 1, last: 1) { totalCount }
  user(id: $id) { sessions { edges { node { user { email } } } } }
  again: user(id: $id) { sessions(status: null) { totalCount } }
}"""


async def test_an_operation_ended_by_an_error_leaves_no_connection_checked_out(client, database, caplog):
    admin, token = await signed_in_admin(database)
    await make_session(database, admin)
    pool = client.app.state.database.engine.pool
    for _attempt in range(5):
        body = await client.gql(QUERY, {"id": to_global_id("User", admin.id)}, token=token)
        assert body.get("data", "missing") is None, body and [e["extensions"]["code"] for e in body["errors"]] == ["BAD_USER_INPUT"]
        for _tick in range(20):  # let stragglers run to their end
            await asyncio.sleep(0.01)
        # Not left to the garbage collector: returned explicitly.
        assert pool.checkedout() == 0
    assert not [record for record in caplog.records if record.levelname in ("ERROR", "CRITICAL")]
