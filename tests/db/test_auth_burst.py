"""Password hashing runs off the event loop: a burst of sign-ins does not hold up other requests."""

import asyncio

import pytest

from db.services.passwords import hashing_slot
from tests.support.auth import PASSWORD, VIEWER, sign_in, sign_up

# Production-strength Argon2 (RFC 9106's second recommendation, one lane), so a hash costs far more
# than a viewer query; the suite's usual parameters are too cheap to show anything.
HEAVY = {"argon2_time_cost": 3, "argon2_memory_cost": 65536, "argon2_parallelism": 1}


@pytest.mark.parametrize("concurrency", [1, 2])
async def test_viewer_queries_complete_while_a_sign_in_burst_is_hashing(make_client, settings, concurrency):
    overrides = {**HEAVY, "password_hashing_concurrency": concurrency}
    async with make_client(**overrides) as client:
        token = (await sign_up(client))["token"]  # stored with the heavy parameters
        burst = [asyncio.create_task(sign_in(client)) for _ in range(6)]
        slot = hashing_slot(concurrency)  # the app's slots for this setting
        while not slot.locked():  # every hashing slot is taken: the burst is under way
            await asyncio.sleep(0.005)

        for _ in range(3):
            assert (await client.gql(VIEWER, token=token))["data"]["viewer"]["email"] == "ann@example.com"
        finished_first = [task.done() for task in burst]

        results = await asyncio.gather(*burst)
    assert not any(finished_first), "a sign-in finished before three viewer queries did"
    assert all(payload["errors"] == [] for payload in results)


# Seconds: a liveness bound, not a speed target. A request here takes milliseconds; before the fix it
# waited for a pooled connection that a password flow held while it waited to hash.
PROMPTLY = 3

CHANGE_PASSWORD = """
mutation ($input: ChangePasswordInput!) { changePassword(input: $input) { errors { code } } }"""


async def test_password_flows_waiting_to_hash_hold_no_connection(make_client, settings):
    """Regression (issue 13, finding 2): password flows held their operation's pooled connection while
    waiting for a hashing slot, so a burst of them starved every other request of connections (/health
    unhealthy, a signed-in viewer waiting for seconds). Here the test holds the only hashing slot while 8
    password changes (each signed in, so each has used the database) wait for it."""
    overrides = {"password_hashing_concurrency": 1, "pool_size": 2, "max_overflow": 0, "pool_timeout": 30,
                 "health_timeout": PROMPTLY,
                 # Attempts in flight count toward the limits until their password proves right.
                 "sign_in_max_failures_per_email_and_ip": 50, "sign_in_max_failures_per_ip": 50}
    async with make_client(**overrides) as client:
        tokens = [(await sign_up(client))["token"]]
        tokens += [(await sign_in(client))["token"] for _ in range(8)]
        change = {"input": {"currentPassword": PASSWORD, "newPassword": PASSWORD, "revokeOtherSessions": False}}
        async with hashing_slot(1):  # the app's only slot
            burst = [asyncio.create_task(client.gql(CHANGE_PASSWORD, change, token=token)) for token in tokens[1:]]
            await asyncio.sleep(1)  # every change has looked its viewer up and is waiting for the slot

            health = await asyncio.wait_for(client.get("/health"), timeout=PROMPTLY)
            assert health.status_code == 200, health.text
            viewer = await asyncio.wait_for(client.gql(VIEWER, token=tokens[0]), timeout=PROMPTLY)
            assert viewer["data"]["viewer"]["email"] == "ann@example.com"
            if client.app.state.database.engine.dialect.name == "postgresql":  # SQLite's pool is its own
                assert client.app.state.database.engine.pool.checkedout() == 0
            assert not any(task.done() for task in burst)
        results = await asyncio.gather(*burst)
    assert [result for result in results if result != {"data": {"changePassword": {"errors": []}}}] == []
