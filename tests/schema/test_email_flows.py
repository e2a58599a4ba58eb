"""The email flows end to end through the API and a real SMTP server: each link is read from the message
the server received and followed as a frontend would."""

from __future__ import annotations

from sqlalchemy import func, select

from db.models import OutboxMessage, User
from tests.support.auth import PASSWORD, codes, sign_in, sign_up
from tests.support.email_flows import (
    NEW_PASSWORD, REQUEST_VERIFICATION, confirm_change, error_codes, request_change, request_reset, reset, verify,
    call,
)
from tests.support.mail import APP_URL

ANN = "ann@example.com"


async def test_password_reset_end_to_end(mail_client, smtp_server, database):
    signed_up = await sign_up(mail_client, email=ANN)
    other_session = (await sign_in(mail_client, email=ANN))["token"]
    assert (await request_reset(mail_client, "ANN@example.com")) == {"ok": True, "errors": []}

    [mail] = [m for m in await smtp_server.inbox.wait_for(ANN, 2) if "Reset" in m.subject]
    assert mail.link("/reset-password").startswith(f"{APP_URL}/reset-password?token=")
    assert "If this wasn't you" in mail.text and "usergraph" in mail.subject
    assert mail.token("/reset-password") in mail.html  # the HTML part carries the same link

    assert await reset(mail_client, mail.token("/reset-password")) == {"ok": True, "errors": []}
    # Every session ended, nobody signed in; the new password works, the old one not.
    for token in (signed_up["token"], other_session):
        assert (await mail_client.gql("{ viewer { id } }", token=token))["data"]["viewer"] is None
    assert codes(await sign_in(mail_client, email=ANN)) == ["INVALID_CREDENTIALS"]
    assert (await sign_in(mail_client, email=ANN, password=NEW_PASSWORD))["token"]
    async with database.sessionmaker() as db:
        assert (await db.scalar(select(User))).email_verified  # the link proved the address
    # A security notice without any token follows.
    notices = [m for m in await smtp_server.inbox.wait_for(ANN, 3) if "was changed" in m.subject]
    assert len(notices) == 1 and "token=" not in notices[0].text
    # The link works once.
    again = await reset(mail_client, mail.token("/reset-password"), "another fine horse battery")
    assert error_codes(again) == ["INVALID_TOKEN"]


async def test_sign_up_sends_a_verification_link_that_verifies_without_sign_in(mail_client, smtp_server):
    await sign_up(mail_client, email=ANN)
    [mail] = await smtp_server.inbox.wait_for(ANN)
    assert mail.link("/verify-email")
    payload = await verify(mail_client, mail.token("/verify-email"))
    assert payload["errors"] == [] and payload["user"]["email"] == ANN and payload["user"]["emailVerified"]
    assert error_codes(await verify(mail_client, mail.token("/verify-email"))) == ["INVALID_TOKEN"]


async def test_the_account_returned_to_a_token_holder_hides_its_own_fields(mail_client, smtp_server):
    await sign_up(mail_client, email=ANN)
    [mail] = await smtp_server.inbox.wait_for(ANN)
    body = await mail_client.gql(
        "mutation ($t: String!) { verifyEmail(input: {token: $t}) { user { email sessions { totalCount } } } }",
        {"t": mail.token("/verify-email")},
    )
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert body["errors"][0]["path"][-1] == "sessions"
    # The failed operation rolled back: the link is still unused and works.
    assert (await verify(mail_client, mail.token("/verify-email")))["errors"] == []


async def test_email_change_end_to_end(mail_client, smtp_server, database):
    token = (await sign_up(mail_client, email=ANN))["token"]
    await smtp_server.inbox.wait_for(ANN)  # the sign-up's verification link
    assert await request_change(mail_client, token, "ann.new@example.com", PASSWORD) == {"ok": True, "errors": []}

    [link] = await smtp_server.inbox.wait_for("ann.new@example.com")
    [_, notice] = await smtp_server.inbox.wait_for(ANN, 2)
    assert "ann.new@example.com" in notice.text and "token=" not in notice.content.decode()
    # Confirmed without sign-in (another device):
    payload = await confirm_change(mail_client, link.token("/confirm-email"))
    assert payload["errors"] == [] and payload["user"]["email"] == "ann.new@example.com"
    assert payload["user"]["emailVerified"]
    assert (await sign_in(mail_client, email="ann.new@example.com"))["token"]
    assert codes(await sign_in(mail_client, email=ANN)) == ["INVALID_CREDENTIALS"]
    changed = await smtp_server.inbox.wait_for(ANN, 3)
    assert "ann.new@example.com" in changed[-1].text and "token=" not in changed[-1].content.decode()
    assert error_codes(await confirm_change(mail_client, link.token("/confirm-email"))) == ["INVALID_TOKEN"]


async def test_email_change_needs_the_password_and_a_free_address(mail_client, smtp_server):
    token = (await sign_up(mail_client, email=ANN))["token"]
    await sign_up(mail_client, email="bob@example.com", name="Bob")
    assert error_codes(await request_change(mail_client, token, "new@example.com", "wrong password")) == [
        "INVALID_CREDENTIALS"
    ]
    assert error_codes(await request_change(mail_client, token, "BOB@example.com", PASSWORD)) == ["EMAIL_TAKEN"]
    assert error_codes(await request_change(mail_client, token, "not an email", PASSWORD)) == ["INVALID_INPUT"]
    body = await mail_client.gql(
        'mutation { requestEmailChange(input: {newEmail: "x@example.com", password: "p"}) { ok } }'
    )
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_token_for_another_flow_or_tampered_is_invalid(mail_client, smtp_server):
    await sign_up(mail_client, email=ANN)
    [mail] = await smtp_server.inbox.wait_for(ANN)
    token = mail.token("/verify-email")
    assert error_codes(await reset(mail_client, token)) == ["INVALID_TOKEN"]
    assert error_codes(await confirm_change(mail_client, token)) == ["INVALID_TOKEN"]
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    for bad in (tampered, "", "not a token", "x" * 500):
        assert error_codes(await verify(mail_client, bad)) == ["INVALID_TOKEN"]
    assert (await verify(mail_client, token))["errors"] == []


async def test_reset_refuses_a_weak_password_and_keeps_the_link(mail_client, smtp_server):
    await sign_up(mail_client, email=ANN)
    await request_reset(mail_client, ANN)
    [mail] = [m for m in await smtp_server.inbox.wait_for(ANN, 2) if "Reset" in m.subject]
    assert error_codes(await reset(mail_client, mail.token("/reset-password"), "password")) == ["WEAK_PASSWORD"]
    assert error_codes(await reset(mail_client, mail.token("/reset-password"), "short")) == ["WEAK_PASSWORD"]
    assert (await reset(mail_client, mail.token("/reset-password")))["ok"]


async def test_unknown_emails_get_the_same_answer_and_no_mail(mail_client, smtp_server, database):
    await sign_up(mail_client, email=ANN)
    await smtp_server.inbox.wait_for(ANN)
    known = await mail_client.gql(
        "mutation ($e: String!) { requestPasswordReset(input: {email: $e}) { ok errors { code } } }", {"e": ANN}
    )
    unknown = await mail_client.gql(
        "mutation ($e: String!) { requestPasswordReset(input: {email: $e}) { ok errors { code } } }",
        {"e": "nobody@example.com"},
    )
    assert known == unknown == {"data": {"requestPasswordReset": {"ok": True, "errors": []}}}
    await smtp_server.inbox.wait_for(ANN, 2)
    async with database.sessionmaker() as db:
        assert await db.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.recipient == "nobody@example.com")) == 0
    assert smtp_server.inbox.to("nobody@example.com") == []
    # A malformed address is the only other answer.
    assert error_codes(await request_reset(mail_client, "not an email")) == ["INVALID_INPUT"]


async def test_anonymous_verification_resend_answers_alike(mail_client, smtp_server):
    await sign_up(mail_client, email=ANN)
    await smtp_server.inbox.wait_for(ANN)
    for email in (ANN, "nobody@example.com"):
        assert await call(mail_client, REQUEST_VERIFICATION, "requestEmailVerification", email=email) == {
            "ok": True, "errors": []
        }
    second = (await smtp_server.inbox.wait_for(ANN, 2))[-1]
    assert (await verify(mail_client, second.token("/verify-email")))["errors"] == []
    # Verified now: a resend is still ok, and sends nothing.
    assert (await call(mail_client, REQUEST_VERIFICATION, "requestEmailVerification", email=ANN))["ok"]
    body = await call(mail_client, REQUEST_VERIFICATION, "requestEmailVerification")
    assert error_codes(body) == ["INVALID_INPUT"]  # neither a viewer nor an email


async def test_the_sign_up_mail_counts_toward_the_viewers_three_an_hour(client):
    token = (await sign_up(client, email=ANN))["token"]
    for _ in range(2):
        assert await call(client, REQUEST_VERIFICATION, "requestEmailVerification", bearer=token) == {
            "ok": True, "errors": []
        }
    assert error_codes(await call(client, REQUEST_VERIFICATION, "requestEmailVerification", bearer=token)) == [
        "RATE_LIMITED"
    ]
