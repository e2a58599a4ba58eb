"""Links die with any change of the account's email or password, whoever makes it; verification can be
required before signing in; the database settles an email-change race. Tokens are read from the mail a
real SMTP server received."""

from __future__ import annotations

import asyncio

from db.models import User
from schema.relay import to_global_id
from tests.support.auth import PASSWORD, SIGN_UP, codes, sign_in, sign_up
from tests.support.email_flows import (
    CHANGE_PASSWORD, NEW_PASSWORD, REQUEST_VERIFICATION, call, confirm_change, error_codes, request_change,
    request_reset, reset, verify,
)
from tests.support.factories import signed_in_admin

ANN = "ann@example.com"
RESET, VERIFY, CONFIRM = "Reset", "Verify", "Confirm"


async def reset_token(client, inbox, nth: int = 1, email: str = ANN) -> str:
    await request_reset(client, email)
    return await inbox.token(email, RESET, "/reset-password", nth=nth)


async def test_changing_the_password_kills_outstanding_links(mail_client, smtp_server):
    inbox = smtp_server.inbox
    token = (await sign_up(mail_client, email=ANN))["token"]
    link = await reset_token(mail_client, inbox)
    verification = await inbox.token(ANN, VERIFY, "/verify-email")
    changed = await call(mail_client, CHANGE_PASSWORD, "changePassword", bearer=token, current=PASSWORD,
                         new=NEW_PASSWORD)
    assert changed["errors"] == []
    assert error_codes(await reset(mail_client, link)) == ["INVALID_TOKEN"]
    assert error_codes(await verify(mail_client, verification)) == ["INVALID_TOKEN"]
    [notice] = await inbox.wait_for(ANN, subject="Your usergraph password was changed")
    assert "token=" not in notice.content.decode()


async def test_an_admin_changing_the_password_or_email_kills_outstanding_links(mail_client, smtp_server, database):
    inbox = smtp_server.inbox
    await sign_up(mail_client, email=ANN)
    _, admin_token = await signed_in_admin(database, email="root@example.com")
    user_id = to_global_id("User", (await _user(database, ANN)).id)
    update = "mutation ($id: ID!, $input: UpdateUserInput!) { updateUser(id: $id, input: $input) { errors { code } } }"

    link = await reset_token(mail_client, inbox)
    body = await mail_client.gql(update, {"id": user_id, "input": {"password": "another purple elephant"}},
                                 token=admin_token)
    assert body["data"]["updateUser"]["errors"] == []
    assert error_codes(await reset(mail_client, link)) == ["INVALID_TOKEN"]

    link = await reset_token(mail_client, inbox, nth=2)
    body = await mail_client.gql(update, {"id": user_id, "input": {"email": "ann2@example.com"}}, token=admin_token)
    assert body["data"]["updateUser"]["errors"] == []
    assert error_codes(await reset(mail_client, link)) == ["INVALID_TOKEN"]


async def test_an_email_change_kills_outstanding_links(mail_client, smtp_server):
    inbox = smtp_server.inbox
    token = (await sign_up(mail_client, email=ANN))["token"]
    link = await reset_token(mail_client, inbox)
    await request_change(mail_client, token, "new@example.com", PASSWORD)
    confirmation = await inbox.token("new@example.com", CONFIRM, "/confirm-email")
    assert (await confirm_change(mail_client, confirmation))["errors"] == []
    assert error_codes(await reset(mail_client, link)) == ["INVALID_TOKEN"]


async def test_two_concurrent_resets_with_one_link_one_wins(mail_client, smtp_server):
    await sign_up(mail_client, email=ANN)
    link = await reset_token(mail_client, smtp_server.inbox)
    results = await asyncio.gather(reset(mail_client, link), reset(mail_client, link, "another purple elephant"))
    assert sorted(error_codes(result) for result in results) == [[], ["INVALID_TOKEN"]]


async def test_required_verification_signs_up_without_a_session_and_refuses_sign_in_until_verified(
    make_client, smtp_server
):
    inbox = smtp_server.inbox
    async with make_client(require_email_verification=True, smtp_url=smtp_server.url, mail_backend="smtp") as client:
        response = await client.post(
            "/graphql", json={"query": SIGN_UP, "variables": {"input": {"email": ANN, "password": PASSWORD, "name": "A"}}}
        )
        payload = response.json()["data"]["signUp"]
        assert payload["token"] is None and payload["session"] is None and payload["user"]["email"] == ANN
        assert "set-cookie" not in response.headers
        assert codes(await sign_in(client, email=ANN, password="wrong password!")) == ["INVALID_CREDENTIALS"]
        assert codes(await sign_in(client, email=ANN)) == ["EMAIL_NOT_VERIFIED"]
        # The anonymous resend by email, then its link:
        assert (await call(client, REQUEST_VERIFICATION, "requestEmailVerification", email=ANN))["ok"]
        link = await inbox.token(ANN, VERIFY, "/verify-email", nth=2)
        assert (await verify(client, link))["errors"] == []
        assert (await sign_in(client, email=ANN))["token"]


async def test_an_address_taken_before_the_change_is_confirmed_gives_email_taken(mail_client, smtp_server, database):
    token = (await sign_up(mail_client, email=ANN))["token"]
    await request_change(mail_client, token, "new@example.com", PASSWORD)
    await sign_up(mail_client, email="NEW@example.com", name="Nat")
    confirmation = await smtp_server.inbox.token("new@example.com", CONFIRM, "/confirm-email")
    assert error_codes(await confirm_change(mail_client, confirmation)) == ["EMAIL_TAKEN"]
    assert (await _user(database, ANN)) is not None


async def test_two_accounts_confirming_one_new_address_at_once_one_wins(mail_client, smtp_server):
    first = (await sign_up(mail_client, email=ANN))["token"]
    second = (await sign_up(mail_client, email="bob@example.com", name="Bob"))["token"]
    for token in (first, second):
        assert (await request_change(mail_client, token, "shared@example.com", PASSWORD))["ok"]
    mails = await smtp_server.inbox.wait_for("shared@example.com", 2, subject=CONFIRM)
    links = [mail.token("/confirm-email") for mail in mails]
    results = await asyncio.gather(*(confirm_change(mail_client, link) for link in links))
    assert sorted(error_codes(result) for result in results) == [[], ["EMAIL_TAKEN"]]


async def test_a_newer_email_change_request_replaces_the_older_link(mail_client, smtp_server):
    inbox = smtp_server.inbox
    token = (await sign_up(mail_client, email=ANN))["token"]
    await request_change(mail_client, token, "first@example.com", PASSWORD)
    await request_change(mail_client, token, "second@example.com", PASSWORD)
    first = await inbox.token("first@example.com", CONFIRM, "/confirm-email")
    second = await inbox.token("second@example.com", CONFIRM, "/confirm-email")
    assert error_codes(await confirm_change(mail_client, first)) == ["INVALID_TOKEN"]
    assert (await confirm_change(mail_client, second))["user"]["email"] == "second@example.com"


async def _user(database, email: str) -> User | None:
    from db.services.users import find_by_email

    async with database.sessionmaker() as db:
        return await find_by_email(db, email)
