"""Security notices are capped per address and hour (MailPolicy.notices_per_address_per_hour): an account
that changes its own settings in a loop, with an address it typed in and never verified (someone else's,
perhaps), cannot mail that address without end. What happened is still recorded, every time."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from db.services.email_flows import DEFAULT_POLICY
from db.services.mail_messages import Kind, queue_notice
from db.types import utcnow
from tests.support.auth import PASSWORD
from tests.support.email_flows import CHANGE_PASSWORD, NEW_PASSWORD
from tests.support.events import events_of
from tests.support.mail import notices_to
from tests.support.two_factor import DISABLE, REGENERATE, clocked_client, user_with_two_factor

CAP = 4  # SECURITY_NOTICES_MAX_PER_HOUR of the app under test
POLICY = replace(DEFAULT_POLICY.mail, notices_per_address_per_hour=CAP)


@pytest.fixture
async def client(make_client, monkeypatch, clock):
    async with clocked_client(make_client, monkeypatch, clock, security_notices_max_per_hour=CAP) as client:
        yield client


async def test_notices_past_the_cap_are_dropped_but_every_change_is_recorded(client, clock, database):
    ann = await user_with_two_factor(client, clock)  # one notice: two-factor turned on
    for _ in range(CAP + 2):
        body = await client.gql(REGENERATE, {"password": PASSWORD}, token=ann.token)
        assert body["data"]["regenerateRecoveryCodes"]["errors"] == [], body

    assert await notices_to(database, ann.email) == CAP
    assert await notices_to(database, ann.email, "New recovery codes for your usergraph account") == CAP - 1
    assert len(await events_of(database, "RECOVERY_CODES_REGENERATED")) == CAP + 2

    # Another address is not held back by ann's.
    bob = await user_with_two_factor(client, clock, email="bob@example.com")
    assert await notices_to(database, bob.email) == 1


async def test_a_burst_of_one_notice_cannot_hide_another_kind_from_the_owner(client, clock, database):
    """Whoever holds ann's password replaces her recovery codes until the cap is used up, then turns
    two-factor off and changes the password: the first notice of each kind in the hour still goes."""
    ann = await user_with_two_factor(client, clock)
    for _ in range(CAP):
        assert (await client.gql(REGENERATE, {"password": PASSWORD}, token=ann.token))["data"][
            "regenerateRecoveryCodes"]["errors"] == []
    assert await notices_to(database, ann.email) == CAP

    body = await client.gql(DISABLE, {"password": PASSWORD, "code": clock.code(ann.secret)}, token=ann.token)
    assert body["data"]["disableTwoFactor"]["errors"] == [], body
    for current, new in [(PASSWORD, NEW_PASSWORD), (NEW_PASSWORD, PASSWORD)]:
        body = await client.gql(CHANGE_PASSWORD, {"current": current, "new": new}, token=ann.token)
        assert body["data"]["changePassword"]["errors"] == [], body

    assert await notices_to(database, ann.email, "Two-factor sign-in is off for your usergraph account") == 1
    # The first password change is told; the second, of a kind already told this hour, is dropped.
    assert await notices_to(database, ann.email, "Your usergraph password was changed") == 1
    assert await notices_to(database, ann.email) == CAP + 2
    assert len(await events_of(database, "PASSWORD_CHANGED")) == 2


async def test_a_rolled_back_change_counts_no_notice_and_the_cap_lasts_an_hour(database):
    now = utcnow()
    async with database.sessionmaker() as db:
        for _ in range(CAP):
            assert await queue_notice(db, POLICY, Kind.PASSWORD_CHANGED, to="ann@example.com", now=now,
                                      name="Ann", email="ann@example.com", how="changed")
        await db.rollback()

    async with database.sessionmaker.begin() as db:
        for _ in range(CAP):
            assert await queue_notice(db, POLICY, Kind.PASSWORD_CHANGED, to="ann@example.com", now=now,
                                      name="Ann", email="ann@example.com", how="changed")
    async with database.sessionmaker.begin() as db:
        assert not await queue_notice(db, POLICY, Kind.PASSWORD_CHANGED, to="ANN@example.com", now=now,
                                      name="Ann", email="ann@example.com", how="changed")
        later = now + timedelta(hours=1, seconds=1)
        assert await queue_notice(db, POLICY, Kind.PASSWORD_CHANGED, to="ann@example.com", now=later,
                                  name="Ann", email="ann@example.com", how="changed")
    assert await notices_to(database, "ann@example.com") == CAP + 1


def test_the_cap_is_ten_unless_the_settings_say_otherwise():
    from api.settings import Settings

    assert DEFAULT_POLICY.mail.notices_per_address_per_hour == Settings.model_fields["security_notices_max_per_hour"].default == 10
