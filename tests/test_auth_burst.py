"""Password hashing runs off the event loop: a burst of sign-ins does not hold up other requests."""

import asyncio

import pytest

from api.security.passwords import hashing_slot
from tests.support.auth import VIEWER, sign_in, sign_up

# Production-strength Argon2 (RFC 9106's second recommendation, one lane), so a hash costs far more
# than a viewer query; the suite's usual parameters are too cheap to show anything.
HEAVY = {"argon2_time_cost": 3, "argon2_memory_cost": 65536, "argon2_parallelism": 1}


@pytest.mark.parametrize("concurrency", [1, 2])
async def test_viewer_queries_complete_while_a_sign_in_burst_is_hashing(make_client, settings, concurrency):
    overrides = {**HEAVY, "password_hashing_concurrency": concurrency}
    async with make_client(**overrides) as client:
        token = (await sign_up(client))["token"]  # stored with the heavy parameters
        burst = [asyncio.create_task(sign_in(client)) for _ in range(6)]
        slot = hashing_slot(settings.model_copy(update=overrides))  # the app's slots for this setting
        while not slot.locked():  # every hashing slot is taken: the burst is under way
            await asyncio.sleep(0.005)

        for _ in range(3):
            assert (await client.gql(VIEWER, token=token))["data"]["viewer"]["email"] == "ann@example.com"
        finished_first = [task.done() for task in burst]

        results = await asyncio.gather(*burst)
    assert not any(finished_first), "a sign-in finished before three viewer queries did"
    assert all(payload["errors"] == [] for payload in results)
