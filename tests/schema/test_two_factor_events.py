"""The security events two-factor records, read back from the event log as the real operations leave them:
which type, for whom, by which actor, with which details. A wrong code is an attempt: kept although its
operation fails."""

from __future__ import annotations

from sqlmodel import select

from db.models import SecurityEvent
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


class EventLog:
    """The events recorded since the last `new()`, as (type, actor kind, details, email), in the order
    they were written (a change's events and an attempt's are ordered by time, then compared as a list)."""

    def __init__(self, database) -> None:
        self.database = database
        self.seen: set = set()

    async def new(self) -> list[tuple[str, ActorKind, dict | None, str | None]]:
        async with self.database.sessionmaker() as db:
            rows = (await db.scalars(select(SecurityEvent).order_by(SecurityEvent.occurred_at, SecurityEvent.id))).all()
        fresh = [row for row in rows if row.id not in self.seen]
        self.seen |= {row.id for row in fresh}
        return [(row.type, ActorKind(row.actor_kind), row.details, row.email) for row in fresh]


async def test_each_two_factor_change_and_wrong_code_is_recorded(make_client, monkeypatch, database):
    log = EventLog(database)
    clock = Clock()
    async with clocked_client(make_client, monkeypatch, clock) as client:
        ann = await user_with_two_factor(client, clock)
        assert [event[:2] for event in await log.new()] == [
            ("SIGNED_UP", ActorKind.SELF), ("TWO_FACTOR_ENABLED", ActorKind.SELF),
        ]

        challenge = await challenge_for(client)
        await verify(client, challenge, wrong_code(ann.secret, clock.now))
        await verify(client, challenge, ann.recovery_codes[0])
        assert [event[:3] for event in await log.new()] == [
            ("SIGN_IN_FAILED", ActorKind.ANONYMOUS, {"reason": "INVALID_CODE"}),
            ("SIGNED_IN", ActorKind.SELF, {"twoFactor": "recovery_code"}),
            ("RECOVERY_CODE_USED", ActorKind.SELF, None),
        ]

        await client.gql(REGENERATE, {"password": PASSWORD}, token=ann.token)
        await client.gql(DISABLE, {"password": PASSWORD, "code": clock.code(ann.secret)}, token=ann.token)
        assert [event[:3] for event in await log.new()] == [
            ("RECOVERY_CODES_REGENERATED", ActorKind.SELF, None),
            ("TWO_FACTOR_DISABLED", ActorKind.SELF, {"by": "self"}),
        ]

        bob = await user_with_two_factor(client, clock, email="bob@example.com")
        _, admin_token = await signed_in_admin(database)
        await log.new()
        await client.gql(RESET, {"id": bob.user_id}, token=admin_token)
        assert [event[:3] for event in await log.new()] == [("TWO_FACTOR_DISABLED", ActorKind.ADMIN, {"by": "admin"})]
