"""A password reset meets two-factor (CONTRACT.md, "Email flows"): a reset of an address that was never
verified turns two-factor off, as the user through the link, with its event and its notice; a reset of a
verified address leaves it on, and the next sign-in still asks for a code. Links are read from the mail a
real SMTP server received; codes are computed from the secret the API returned."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from db.models import OutboxMessage, RecoveryCode, TwoFactor
from schema.relay import from_global_id
from tests.support.auth import sign_in
from tests.support.email_flows import NEW_PASSWORD, request_reset, reset, verify
from tests.support.events import events_of, only_event
from tests.support.two_factor import VIEWER_2FA, challenge_for, clocked_client, user_with_two_factor
from tests.support.two_factor import verify as verify_code

ANN = "ann@example.com"
OFF_NOTICE = "Two-factor sign-in is off"


@pytest.fixture
async def client(make_client, monkeypatch, clock, smtp_server):
    async with clocked_client(make_client, monkeypatch, clock, smtp_url=smtp_server.url, mail_backend="smtp") as client:
        yield client


async def reset_by_link(client, inbox) -> None:
    assert (await request_reset(client, ANN))["ok"]
    token = await inbox.token(ANN, "Reset", "/reset-password")
    assert await reset(client, token) == {"ok": True, "errors": []}


async def test_a_reset_of_an_address_never_verified_turns_two_factor_off(client, clock, smtp_server, database):
    ann = await user_with_two_factor(client, clock)  # signed up; the verification link never followed
    await reset_by_link(client, smtp_server.inbox)

    # One step again: the new password alone signs in.
    signed = await sign_in(client, password=NEW_PASSWORD)
    assert signed["errors"] == [] and signed["token"]
    body = await client.gql(VIEWER_2FA, token=signed["token"])
    assert body["data"]["viewer"]["twoFactorEnabled"] is False
    async with database.sessionmaker() as db:
        assert await db.scalar(select(TwoFactor.secret)) is None
        assert await db.scalar(select(func.count()).select_from(RecoveryCode)) == 0

    user_id = from_global_id(ann.user_id)[1]
    event = await only_event(database, "TWO_FACTOR_DISABLED")
    assert (event.user_id, event.actor_id, event.actor_kind) == (user_id, user_id, "SELF")
    assert (event.email, event.details) == (ANN, {"by": "password_reset"})
    assert event.request_id and event.ip_address == "127.0.0.1"
    # In the reset's transaction, before the reset itself.
    assert [e.type for e in await events_of(database, "TWO_FACTOR_DISABLED", "PASSWORD_RESET")] == [
        "TWO_FACTOR_DISABLED", "PASSWORD_RESET",
    ]

    [notice] = await smtp_server.inbox.wait_for(ANN, subject=OFF_NOTICE)
    assert "never been verified" in notice.text and "If this wasn't you" in notice.text
    for secret in ("token=", ann.secret, *ann.recovery_codes):
        assert secret not in notice.content.decode()


async def test_a_reset_of_a_verified_address_keeps_two_factor_on(client, clock, smtp_server, database):
    inbox = smtp_server.inbox
    ann = await user_with_two_factor(client, clock)
    verified = await verify(client, await inbox.token(ANN, "Verify", "/verify-email"))
    assert verified["errors"] == [] and verified["user"]["emailVerified"]
    await reset_by_link(client, inbox)

    # The new password gives a challenge, not a session; a code from the same app completes it.
    challenge = await challenge_for(client, password=NEW_PASSWORD)
    done = await verify_code(client, challenge, clock.code(ann.secret))
    assert done["errors"] == [] and done["token"] and done["user"]["twoFactorEnabled"] is True

    assert await events_of(database, "TWO_FACTOR_DISABLED") == []
    await inbox.wait_for(ANN, subject="Your usergraph password was changed")  # the reset's own notice
    async with database.sessionmaker() as db:
        subjects = (await db.scalars(select(OutboxMessage.subject))).all()
    assert not [subject for subject in subjects if subject.startswith(OFF_NOTICE)]
