"""The two-factor security notices (CONTRACT.md, "Email flows"): each change of an account's two-factor
mails its address, as received by a real SMTP server, with the app's name, what happened and what to do
if it wasn't you, and never a code, a recovery code, the secret or a link token. A change refused sends
nothing."""

from __future__ import annotations

import pytest

from tests.support.auth import PASSWORD, codes, sign_up
from tests.support.factories import signed_in_admin
from tests.support.mail import Received
from tests.support.two_factor import (
    BEGIN,
    CONFIRM,
    DISABLE,
    REGENERATE,
    RESET,
    TwoFactorUser,
    challenge_for,
    clocked_client,
    user_with_two_factor,
    verify,
    wrong_code,
)

ANN = "ann@example.com"
APP = "Acme Accounts"  # APP_NAME: every notice names it


@pytest.fixture
async def client(make_client, monkeypatch, clock, smtp_server):
    async with clocked_client(make_client, monkeypatch, clock, smtp_url=smtp_server.url, mail_backend="smtp",
                              app_name=APP) as client:
        yield client


def assert_notice(mail: Received, *secrets: str) -> None:
    """A notice: the app's name, the advice, no link and none of `secrets`, in either part or the bytes."""
    assert APP in mail.subject and APP in mail.text
    assert "If this wasn't you" in mail.text and "If this wasn't you" in mail.html
    for part in (mail.text, mail.html, mail.content.decode()):
        for secret in ("token=", "?token", *secrets):
            assert secret not in part, secret


def secrets_of(user: TwoFactorUser, *more: str) -> tuple[str, ...]:
    return (user.secret, *user.recovery_codes, *more)


async def test_turning_two_factor_on_mails_a_notice(client, clock, smtp_server):
    token = (await sign_up(client, email=ANN))["token"]
    begun = (await client.gql(BEGIN, {"password": PASSWORD}, token=token))["data"]["beginTwoFactorSetup"]
    refused = (await client.gql(CONFIRM, {"code": wrong_code(begun["secret"], clock.now)}, token=token))["data"]
    assert codes(refused["confirmTwoFactorSetup"]) == ["INVALID_CODE"]
    code = clock.code(begun["secret"])
    confirmed = (await client.gql(CONFIRM, {"code": code}, token=token))["data"]["confirmTwoFactorSetup"]
    assert confirmed["errors"] == []

    [notice] = await smtp_server.inbox.wait_for(ANN, subject="Two-factor sign-in is on")
    assert notice.subject == f"Two-factor sign-in is on for your {APP} account"
    assert "authenticator app" in notice.text and ANN in notice.text
    assert_notice(notice, begun["secret"], code, *confirmed["recoveryCodes"])
    assert len(smtp_server.inbox.to(ANN, "Two-factor")) == 1  # the refused code sent nothing


async def test_turning_two_factor_off_mails_a_notice(client, clock, smtp_server):
    ann = await user_with_two_factor(client, clock)
    code = clock.code(ann.secret)
    body = await client.gql(DISABLE, {"password": PASSWORD, "code": code}, token=ann.token)
    assert body["data"]["disableTwoFactor"]["errors"] == []

    [notice] = await smtp_server.inbox.wait_for(ANN, subject="Two-factor sign-in is off")
    assert notice.subject == f"Two-factor sign-in is off for your {APP} account"
    assert "was turned off" in notice.text and "administrator" not in notice.text
    assert_notice(notice, *secrets_of(ann, code))


async def test_an_admins_reset_of_two_factor_mails_a_notice_saying_so(client, clock, smtp_server, database):
    ann = await user_with_two_factor(client, clock)
    _, admin_token = await signed_in_admin(database, email="root@example.com")
    body = await client.gql(RESET, {"id": ann.user_id}, token=admin_token)
    assert body["data"]["resetTwoFactor"]["errors"] == []

    [notice] = await smtp_server.inbox.wait_for(ANN, subject="Two-factor sign-in is off")
    assert "An administrator turned two-factor sign-in off" in notice.text
    assert "signed the account out everywhere" in notice.text
    assert_notice(notice, *secrets_of(ann))
    assert smtp_server.inbox.to("root@example.com") == []


async def test_new_recovery_codes_mail_a_notice(client, clock, smtp_server):
    ann = await user_with_two_factor(client, clock)
    body = await client.gql(REGENERATE, {"password": "not the password at all"}, token=ann.token)
    assert codes(body["data"]["regenerateRecoveryCodes"]) == ["INVALID_CREDENTIALS"]
    body = await client.gql(REGENERATE, {"password": PASSWORD}, token=ann.token)
    fresh = body["data"]["regenerateRecoveryCodes"]["recoveryCodes"]
    assert len(fresh) == 10

    [notice] = await smtp_server.inbox.wait_for(ANN, subject="New recovery codes")
    assert notice.subject == f"New recovery codes for your {APP} account"
    assert "the old ones no longer work" in notice.text
    assert_notice(notice, *secrets_of(ann, *fresh))


async def test_signing_in_with_a_recovery_code_mails_a_notice_with_how_many_are_left(client, clock, smtp_server):
    ann = await user_with_two_factor(client, clock)
    challenge = await challenge_for(client)
    assert (await verify(client, challenge, clock.code(ann.secret)))["token"]  # an app code: no notice
    for used, code in enumerate(ann.recovery_codes[:2], start=1):
        done = await verify(client, await challenge_for(client), code)
        assert done["errors"] == [] and done["token"]
        notices = await smtp_server.inbox.wait_for(ANN, used, subject="A recovery code was used")
        assert len(notices) == used
        assert f"{10 - used} unused recovery codes are left" in notices[-1].text
    for notice in notices:
        assert notice.subject == f"A recovery code was used to sign in to your {APP} account"
        assert_notice(notice, *secrets_of(ann, challenge))
