"""The security events two-factor reports, at the `db.services.events` interface (the event table arrives
with the admin work; until then the calls store nothing, so they are observed here as they are made):
which type, for whom, by which actor, and whether as a change or as an attempt."""

from __future__ import annotations

import pytest

from db.services import events
from db.services.origin import ActorKind
from tests.support.auth import PASSWORD
from tests.support.factories import signed_in_admin
from tests.support.two_factor import (
    DISABLE,
    REGENERATE,
    RESET,
    Clock,
    challenge_for,
    clocked_client,
    user_with_two_factor,
    verify,
    wrong_code,
)


@pytest.fixture
def recorded(monkeypatch) -> list[tuple[str, str, ActorKind, dict | None]]:
    """(how, type, actor kind, details) of every event recorded, in order."""
    seen: list[tuple[str, str, ActorKind, dict | None]] = []

    def watch(how, original):
        async def record(target, type, *, actor, details=None, **fields):
            seen.append((how, type.value, actor.kind, details))
            await original(target, type, actor=actor, details=details, **fields)
        return record

    monkeypatch.setattr(events, "record", watch("change", events.record))
    monkeypatch.setattr(events, "record_attempt", watch("attempt", events.record_attempt))
    return seen


async def test_each_two_factor_change_and_wrong_code_is_reported(make_client, monkeypatch, recorded, database):
    clock = Clock()
    async with clocked_client(make_client, monkeypatch, clock) as client:
        ann = await user_with_two_factor(client, clock)
        assert recorded == [("change", "TWO_FACTOR_ENABLED", ActorKind.SELF, None)]

        recorded.clear()
        challenge = await challenge_for(client)
        await verify(client, challenge, wrong_code(ann.secret, clock.now))
        await verify(client, challenge, ann.recovery_codes[0])
        assert recorded == [
            ("attempt", "SIGN_IN_FAILED", ActorKind.ANONYMOUS, {"reason": "INVALID_CODE"}),
            ("change", "SIGNED_IN", ActorKind.SELF, {"twoFactor": "recovery_code"}),
            ("change", "RECOVERY_CODE_USED", ActorKind.SELF, None),
        ]

        recorded.clear()
        await client.gql(REGENERATE, {"password": PASSWORD}, token=ann.token)
        await client.gql(DISABLE, {"password": PASSWORD, "code": clock.code(ann.secret)}, token=ann.token)
        assert recorded == [
            ("change", "RECOVERY_CODES_REGENERATED", ActorKind.SELF, None),
            ("change", "TWO_FACTOR_DISABLED", ActorKind.SELF, {"by": "self"}),
        ]

        bob = await user_with_two_factor(client, clock, email="bob@example.com")
        _, admin_token = await signed_in_admin(database)
        recorded.clear()
        await client.gql(RESET, {"id": bob.user_id}, token=admin_token)
        assert recorded == [("change", "TWO_FACTOR_DISABLED", ActorKind.ADMIN, {"by": "admin"})]
