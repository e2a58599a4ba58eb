"""Outside review of the email flows (CONTRACT.md, "Email flows" and "Authentication"; docs/security.md):
attacks that got through. Each test is written as the behaviour the contract asks for, so it fails while
the problem is there. Real app, real database, a real SMTP server (aiosmtpd) the app delivers to, links
read from the messages it received; two-factor codes computed from the secret the API returned at the
clock the app checks them at (tests/support/two_factor.py)."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

from aiosmtpd.controller import Controller
from sqlalchemy import update

from api.mail.transport import SmtpConfig, SmtpTransport
from api.mail.worker import DeliveryWorker
from db.engine import Database

from db.models import User
from db.services import outbox
from db.services.email_flows import DEFAULT_POLICY
from db.services.mail_messages import Kind, render
from tests.support.auth import PASSWORD, codes
from tests.support.email_flows import NEW_PASSWORD, request_reset, reset
from tests.support.factories import make_user, signed_in_admin
from tests.support.mail import Inbox
from tests.support.server import free_port
from tests.support.two_factor import (
    DISABLE,
    REGENERATE,
    SIGN_IN_2FA,
    VIEWER_2FA,
    Clock,
    challenge_for,
    clocked_client,
    user_with_two_factor,
    verify,
)

VICTIM = "victim@example.com"
UPDATE_USER = """
mutation ($id: ID!, $input: UpdateUserInput!) { updateUser(id: $id, input: $input) { user { id email } errors { field code } } }"""


def _not_verification(mails):
    return [mail for mail in mails if "/verify-email" not in mail.text]


async def test_reset_of_a_never_verified_address_turns_two_factor_off(make_client, monkeypatch, smtp_server):
    """Attack (account pre-hijacking): someone signs up with the victim's address, which they cannot
    read, and turns two-factor on with their own authenticator. The victim, who owns the address, resets
    the password with the link mailed to it. CONTRACT.md: "If the email had never been verified, it also
    turns two-factor off (whoever set it up never proved the address)". Expected: after the reset, the
    victim's sign-in with the new password completes at once (a token, no challenge) and the account's
    two-factor is off. Found: `turn_two_factor_off_if_address_was_unproven` is an empty stub, so the
    squatter's second factor stays and the address owner is locked out of the account."""
    clock = Clock()
    async with clocked_client(make_client, monkeypatch, clock, smtp_url=smtp_server.url, mail_backend="smtp") as client:
        await user_with_two_factor(client, clock, email=VICTIM)  # the squatter; the address is unverified
        assert (await request_reset(client, VICTIM))["ok"]
        token = await smtp_server.inbox.token(VICTIM, "Reset", "/reset-password")
        assert await reset(client, token) == {"ok": True, "errors": []}

        body = await client.gql(SIGN_IN_2FA, {"input": {"email": VICTIM, "password": NEW_PASSWORD}})
        signed_in = body["data"]["signIn"]
        assert signed_in["errors"] == [], signed_in
        assert signed_in["twoFactorChallenge"] is None, "the squatter's second factor survived the reset"
        assert signed_in["token"]
        viewer = (await client.gql(VIEWER_2FA, token=signed_in["token"]))["data"]["viewer"]
        assert viewer["twoFactorEnabled"] is False


async def test_turning_two_factor_on_sends_a_notice(make_client, monkeypatch, smtp_server):
    """Attack: whoever holds a session and the password (a stolen laptop, a shared computer) turns
    two-factor on with their own authenticator, locking the owner out; the owner is never told.
    CONTRACT.md, "Security notices": the account's address gets a message (no token) when two-factor is
    turned on. Expected: a message besides the sign-up verification reaches the address, without any
    link token. Found: `db/services/two_factor_notices.py` is still all stubs; nothing is sent."""
    clock = Clock()
    async with clocked_client(make_client, monkeypatch, clock, smtp_url=smtp_server.url, mail_backend="smtp") as client:
        await user_with_two_factor(client, clock, email=VICTIM)
        mails = await smtp_server.inbox.wait_for(VICTIM, 2, within=8)
        notices = _not_verification(mails)
        assert len(notices) == 1 and "token=" not in notices[0].text


async def test_turning_two_factor_off_or_replacing_recovery_codes_sends_notices(make_client, monkeypatch, smtp_server):
    """Attack: an intruder with the password and a session replaces the recovery codes (the owner's
    printed ones stop working) and turns two-factor off, silently. CONTRACT.md, "Security notices":
    the address gets a message when two-factor is turned off or its recovery codes are replaced.
    Expected: two notices (replaced codes, two-factor off) reach the account's address. Found: none is
    sent (`two_factor_notices.py` stubs)."""
    clock = Clock()
    async with clocked_client(make_client, monkeypatch, clock, smtp_url=smtp_server.url, mail_backend="smtp") as client:
        user = await user_with_two_factor(client, clock, email=VICTIM)
        regenerated = await client.gql(REGENERATE, {"password": PASSWORD}, token=user.token)
        assert regenerated["data"]["regenerateRecoveryCodes"]["errors"] == [], regenerated
        disabled = await client.gql(DISABLE, {"password": PASSWORD, "code": clock.code(user.secret)}, token=user.token)
        assert disabled["data"]["disableTwoFactor"]["errors"] == [], disabled
        # The verification link, the two-factor-on notice, the replaced-codes notice, the two-factor-off notice.
        mails = await smtp_server.inbox.wait_for(VICTIM, 4, within=8)
        assert len(_not_verification(mails)) == 3


async def test_an_admin_changing_the_email_notifies_the_old_address(mail_client, smtp_server, database):
    """Attack: a rogue or compromised admin account moves a user's email to an address it controls, then
    resets the password through it (a quiet account takeover); the owner's mailbox never hears of it.
    CONTRACT.md, "Security notices": the account's address gets a message when its email is changed (to
    the old address) or its password is changed. Expected: the old address gets a notice (no token)
    when `updateUser` changes the email. Found: the admin path (db/services/admin.py) sends nothing."""
    _, admin_token = await signed_in_admin(database)
    user = await make_user(database, email=VICTIM, email_verified=True)
    from tests.schema.test_admin_mutations import gid

    body = await mail_client.gql(UPDATE_USER, {"id": gid(user), "input": {"email": "attacker@example.net"}},
                                 token=admin_token)
    assert body["data"]["updateUser"]["errors"] == [], body
    [notice] = await smtp_server.inbox.wait_for(VICTIM, 1, within=8)
    assert "token=" not in notice.text


async def test_an_admin_changing_the_password_notifies_the_address(mail_client, smtp_server, database):
    """Attack: as above, but the admin sets a new password directly (`updateUser(input: {password})`)
    and signs in as the user. CONTRACT.md, "Security notices": the address gets a message when its
    password is changed. Expected: one notice (no token) reaches the account's address. Found: none."""
    _, admin_token = await signed_in_admin(database)
    user = await make_user(database, email=VICTIM, email_verified=True)
    from tests.schema.test_admin_mutations import gid

    body = await mail_client.gql(UPDATE_USER, {"id": gid(user), "input": {"password": NEW_PASSWORD}},
                                 token=admin_token)
    assert body["data"]["updateUser"]["errors"] == [], body
    [notice] = await smtp_server.inbox.wait_for(VICTIM, 1, within=8)
    assert "token=" not in notice.text



async def test_verify_two_factor_refuses_an_address_unverified_meanwhile(make_client, monkeypatch, database):
    """Attack (REQUIRE_EMAIL_VERIFICATION bypass through the second step): with verification required,
    the account passes the password step while verified and gets a two-factor challenge; within the
    challenge's five minutes the address stops being verified (an admin's `updateUser(emailVerified:
    false)`, e.g. because the address was found to be someone else's). `verifyTwoFactor` then completes
    the sign-in anyway. CONTRACT.md, "Authentication"/"Bans": sign-in checks, in order, deactivated,
    banned, unverified where verification is required, then the second factor; the second step re-reads
    the account "as it is now" and refuses a deactivation or ban that came meanwhile. Expected:
    `EMAIL_NOT_VERIFIED`, no session. Found: `two_factor_flows._refusal` checks only disabled and banned."""
    clock = Clock()
    async with clocked_client(make_client, monkeypatch, clock) as setup:
        user = await user_with_two_factor(setup, clock, email=VICTIM)
    async with database.sessionmaker.begin() as db:
        await db.execute(update(User).where(User.email == VICTIM).values(email_verified=True))
    async with clocked_client(make_client, monkeypatch, clock, require_email_verification=True) as client:
        challenge = await challenge_for(client, email=VICTIM)
        _, admin_token = await signed_in_admin(database)
        from tests.schema.test_admin_mutations import UPDATE

        body = await client.gql(UPDATE, {"id": user.user_id, "input": {"emailVerified": False}}, token=admin_token)
        assert body["data"]["updateUser"]["errors"] == [], body
        completed = await verify(client, challenge, clock.code(user.secret))
        assert completed["token"] is None, "signed in with an unverified address while verification is required"
        assert codes(completed) == ["EMAIL_NOT_VERIFIED"]


class _SlowInbox(Inbox):
    """A mail server that works, only slowly: each message takes `delay` seconds to accept."""

    delay = 0.45

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(self.delay)
        return await super().handle_DATA(server, session, envelope)


async def test_a_slow_mail_server_gets_a_batch_message_twice_from_two_workers(database, settings):
    """Attack (mail duplication, no crash involved): the outbox worker claims up to 10 messages with ONE
    lease (`MAIL_LEASE_SECONDS`, default 300 s) and then sends them one after another; each send may take
    up to `SMTP_TIMEOUT_SECONDS` (default 30 s) per SMTP step. With a slow but working server, the last
    messages of a batch are still waiting their turn when the batch's lease runs out, and the worker of
    another serving process claims and sends them too (scaled down here: lease 1 s, 0.45 s a message, 4
    messages). CONTRACT.md: delivered "with a stable Message-ID, and never sent twice while processes run
    normally". Expected: every Message-ID is received exactly once. Found: the messages past the lease
    arrive twice (a reset link mailed twice; with more workers, more copies)."""
    inbox = _SlowInbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    databases = [Database.from_settings(settings) for _ in range(2)]
    try:
        async with database.sessionmaker.begin() as db:
            for number in range(4):
                await outbox.enqueue(db, render(DEFAULT_POLICY.mail, Kind.TEST, to=f"user{number}@example.com"))
        workers = [
            DeliveryWorker(each, SmtpTransport(SmtpConfig.from_url(f"smtp://127.0.0.1:{port}", timeout=5)),
                           lease=timedelta(seconds=1))
            for each in databases
        ]
        first = asyncio.create_task(workers[0].deliver_due())
        await asyncio.sleep(1.2)  # the first worker is still sending its batch; its lease has run out
        await workers[1].deliver_due()
        await first
    finally:
        for each in databases:
            await each.dispose()
        controller.stop()
    delivered = Counter(mail.message_id for mail in inbox.received)
    assert len(delivered) == 4
    assert set(delivered.values()) == {1}, f"sent more than once: {delivered}"
