"""Outside review of the security-notice cap, international addresses and the mail they produce
(CONTRACT.md "Email flows", README "Notices", docs/security.md). Each test is written as the behaviour the
contract and the threat table ask for, so it fails while the problem is there. Real app, real database,
a real SMTP server (aiosmtpd) where mail is delivered."""

from __future__ import annotations

import email
import email.policy
from dataclasses import replace

import pytest

from db.services.email_flows import DEFAULT_POLICY
from db.services.mail_messages import Kind, render
from schema.relay import to_global_id
from tests.support.auth import PASSWORD, sign_in, sign_up
from tests.support.email_flows import CHANGE_PASSWORD, call, confirm_change, request_change, request_reset
from tests.support.events import events_of
from tests.support.mail import notices_to
from tests.support.factories import make_user, signed_in_admin

PASSWORDS = ["purple elephant dancing quietly", "seven orange kites over lisbon", "gravel maple thunder oyster"]
EMAIL_CHANGED = "Your usergraph email address was changed"


# --- 1. the cap lets a hijacker silence the notice that matters ------------------------------------------


async def test_a_hijacker_cannot_spend_the_cap_to_silence_the_email_changed_notice(make_client, smtp_server, database):
    """docs/security.md: "a hijacked session changing the email to lock the owner out ... the current
    address gets a notice, and another when the change is confirmed". Someone holding the owner's password
    first spends the address's notice budget on cheap, repeatable notices (password changes here; recovery
    codes replaced or two-factor toggled do the same), then moves the account to their own address: the
    one notice that tells the owner their account now lives at another address is dropped by the cap. The
    cap guards against a loop mailing a stranger; it must not be spendable to hide an account takeover."""
    cap = 3
    async with make_client(smtp_url=smtp_server.url, mail_backend="smtp", security_notices_max_per_hour=cap) as app:
        assert (await sign_up(app, email="ann@example.com"))["errors"] == []
        hijacker = (await sign_in(app, email="ann@example.com"))["token"]
        current = PASSWORD
        for new in PASSWORDS[:cap]:
            payload = await call(app, CHANGE_PASSWORD, "changePassword", bearer=hijacker, current=current, new=new)
            assert payload["errors"] == [], payload
            current = new
        assert await request_change(app, hijacker, "thief@attacker.example", current) == {"ok": True, "errors": []}
        token = await smtp_server.inbox.token("thief@attacker.example", "Confirm your new", "/confirm-email")
        assert (await confirm_change(app, token))["errors"] == []

    assert len(await events_of(database, "EMAIL_CHANGED")) == 1  # recorded, but:
    assert await notices_to(database, "ann@example.com", EMAIL_CHANGED) == 1


# --- 2. an address the key folds into another is a different mailbox ---------------------------------------


async def test_an_admin_moving_an_account_to_another_domain_that_folds_alike_is_an_email_change(client, database):
    """README: an admin's updateUser to "another address, not only its case" sends the old address the
    "email address was changed" notice and records EMAIL_CHANGED. `ann@fass.example` and `ann@faß.example`
    are two domains (the second is xn--fa-hia.example in DNS, where mail goes), yet case folding makes
    them one key, so the move is taken for a change of case: no EMAIL_CHANGED event and no notice to the
    mailbox that just lost the account."""
    _, token = await signed_in_admin(database, email="root@example.com")
    ann = await make_user(database, email="ann@fass.example", name="Ann")
    body = await client.gql(
        """mutation ($id: ID!, $input: UpdateUserInput!) { updateUser(id: $id, input: $input) { user { email } errors { code } } }""",
        {"id": to_global_id("User", ann.id), "input": {"email": "ann@faß.example"}}, token=token,
    )
    assert body["data"]["updateUser"] == {"user": {"email": "ann@faß.example"}, "errors": []}
    assert render(DEFAULT_POLICY.mail, Kind.TEST, to="ann@faß.example").recipient == "ann@xn--fa-hia.example"

    assert len(await events_of(database, "EMAIL_CHANGED")) == 1
    assert await notices_to(database, "ann@fass.example", EMAIL_CHANGED) == 1


# --- 3. an IDN MAIL_FROM is written as the encoded words the change set out to remove ----------------------


def test_an_idn_mail_from_goes_out_in_ascii_like_recipients_do():
    """The change wrote recipients' IDN domains in IDNA form because Python's email package writes a
    non-ASCII domain as RFC 2047 words (`@=?utf-8?q?...?=`) that no server delivers or replies to. MAIL_FROM
    (`Name <no-reply@bücher.example>`) is not converted: the From header gets exactly those words, the
    envelope sender is non-ASCII (so every message, to ASCII recipients too, needs SMTPUTF8 and is refused
    for good by a server without it), and the Message-ID carries a raw UTF-8 domain in an ASCII message."""
    policy = replace(DEFAULT_POLICY.mail, mail_from="Support <no-reply@bücher.example>")
    mail = render(policy, Kind.TEST, to="ann@example.com")
    headers = email.message_from_string(mail.content, policy=email.policy.default)
    assert "=?utf-8?" not in mail.content.split("\n\n", 1)[0]
    assert headers["From"].addresses[0].addr_spec == "no-reply@xn--bcher-kva.example"
    assert mail.sender == "no-reply@xn--bcher-kva.example"
    assert mail.content.isascii()



# --- 4. a look-alike squat the owner of the real address cannot clear ----------------------------------------


@pytest.mark.parametrize("squat, owner", [
    ("ｖｉｃｔｉｍ@example.com", "victim@example.com"),  # fullwidth local part: another mailbox, NFKC folds it
    ("victim@faß.example", "victim@fass.example"),  # xn--fa-hia.example in DNS, case folding makes it fass
])
async def test_a_look_alike_squat_does_not_lock_the_real_address_out(mail_client, smtp_server, squat, owner):
    """The contract answers a squat (someone signing up with an address they do not own) with the reset
    link: it goes to the address, and its owner takes the account over. An address the key folds into
    the owner's but that is another mailbox (`email_key` is NFKC + casefold; mail goes to the NFC/IDNA form)
    is a squat the owner cannot clear: their own sign-up gives EMAIL_TAKEN, and the reset they ask for
    their own address is mailed to the squatter's form. Nobody needs to own the squatting address: the
    account needs no verification to exist."""
    await sign_up(mail_client, email=squat, name="Squatter")
    signed_up = await sign_up(mail_client, email=owner, name="Owner")
    if signed_up["errors"] == []:
        return
    assert [error["code"] for error in signed_up["errors"]] == ["EMAIL_TAKEN"]
    assert (await request_reset(mail_client, owner))["ok"]
    await smtp_server.inbox.wait_for(owner, subject="Reset your usergraph password", within=5)
