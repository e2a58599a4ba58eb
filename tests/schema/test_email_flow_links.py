"""Links die with any change of the account's email or password, whoever makes it; verification can be
required before signing in; the database settles an email-change race."""

from __future__ import annotations

import asyncio

from db.models import User
from schema.relay import to_global_id
from tests.support.auth import PASSWORD, SIGN_UP, codes, sign_in, sign_up
from tests.support.email_flows import (
    CHANGE_PASSWORD, NEW_PASSWORD, REQUEST_VERIFICATION, call, confirm_change, error_codes, outbox_to,
    request_change, request_reset, reset, token_in, verify,
)
from tests.support.factories import signed_in_admin

ANN = "ann@example.com"


async def reset_token(client, database, email=ANN) -> str:
    await request_reset(client, email)
    return token_in((await outbox_to(database, email, "Reset"))[-1])


async def test_changing_the_password_kills_outstanding_links(client, database):
    token = (await sign_up(client, email=ANN))["token"]
    link = await reset_token(client, database)
    verification = token_in((await outbox_to(database, ANN, "Verify"))[-1])
    changed = await call(client, CHANGE_PASSWORD, "changePassword", bearer=token, current=PASSWORD, new=NEW_PASSWORD)
    assert changed["errors"] == []
    assert error_codes(await reset(client, link)) == ["INVALID_TOKEN"]
    assert error_codes(await verify(client, verification)) == ["INVALID_TOKEN"]
    [notice] = await outbox_to(database, ANN, "Your usergraph password was changed")
    assert "token=" not in notice.content


async def test_an_admin_changing_the_password_or_email_kills_outstanding_links(client, database):
    await sign_up(client, email=ANN)
    _, admin_token = await signed_in_admin(database, email="root@example.com")
    user_id = to_global_id("User", (await _user(database, ANN)).id)
    update = "mutation ($id: ID!, $input: UpdateUserInput!) { updateUser(id: $id, input: $input) { errors { code } } }"

    link = await reset_token(client, database)
    body = await client.gql(update, {"id": user_id, "input": {"password": "another purple elephant"}}, token=admin_token)
    assert body["data"]["updateUser"]["errors"] == []
    assert error_codes(await reset(client, link)) == ["INVALID_TOKEN"]

    link = await reset_token(client, database)
    body = await client.gql(update, {"id": user_id, "input": {"email": "ann2@example.com"}}, token=admin_token)
    assert body["data"]["updateUser"]["errors"] == []
    assert error_codes(await reset(client, link)) == ["INVALID_TOKEN"]


async def test_an_email_change_kills_outstanding_links(client, database):
    token = (await sign_up(client, email=ANN))["token"]
    link = await reset_token(client, database)
    await request_change(client, token, "new@example.com", PASSWORD)
    confirmation = token_in((await outbox_to(database, "new@example.com"))[-1])
    assert (await confirm_change(client, confirmation))["errors"] == []
    assert error_codes(await reset(client, link)) == ["INVALID_TOKEN"]


async def test_two_concurrent_resets_with_one_link_one_wins(client, database):
    await sign_up(client, email=ANN)
    link = await reset_token(client, database)
    results = await asyncio.gather(reset(client, link), reset(client, link, "another purple elephant"))
    assert sorted(error_codes(result) for result in results) == [[], ["INVALID_TOKEN"]]


async def test_required_verification_signs_up_without_a_session_and_refuses_sign_in_until_verified(
    make_client, database
):
    async with make_client(require_email_verification=True) as client:
        response = await client.post(
            "/graphql", json={"query": SIGN_UP, "variables": {"input": {"email": ANN, "password": PASSWORD, "name": "A"}}}
        )
        payload = response.json()["data"]["signUp"]
        assert payload["token"] is None and payload["session"] is None and payload["user"]["email"] == ANN
        assert "set-cookie" not in response.headers
        assert codes(await sign_in(client, email=ANN, password="wrong password!")) == ["INVALID_CREDENTIALS"]
        assert codes(await sign_in(client, email=ANN)) == ["EMAIL_NOT_VERIFIED"]
        # The anonymous resend by email, then the link:
        assert (await call(client, REQUEST_VERIFICATION, "requestEmailVerification", email=ANN))["ok"]
        links = await outbox_to(database, ANN, "Verify")
        assert len(links) == 2
        assert (await verify(client, token_in(links[-1])))["errors"] == []
        assert (await sign_in(client, email=ANN))["token"]


async def test_an_address_taken_before_the_change_is_confirmed_gives_email_taken(client, database):
    token = (await sign_up(client, email=ANN))["token"]
    await request_change(client, token, "new@example.com", PASSWORD)
    await sign_up(client, email="NEW@example.com", name="Nat")
    confirmation = token_in((await outbox_to(database, "new@example.com", "Confirm"))[-1])
    assert error_codes(await confirm_change(client, confirmation)) == ["EMAIL_TAKEN"]
    assert (await _user(database, ANN)) is not None


async def test_two_accounts_confirming_one_new_address_at_once_one_wins(client, database):
    first = (await sign_up(client, email=ANN))["token"]
    second = (await sign_up(client, email="bob@example.com", name="Bob"))["token"]
    for token in (first, second):
        assert (await request_change(client, token, "shared@example.com", PASSWORD))["ok"]
    links = [token_in(mail) for mail in await outbox_to(database, "shared@example.com", "Confirm")]
    results = await asyncio.gather(*(confirm_change(client, link) for link in links))
    assert sorted(error_codes(result) for result in results) == [[], ["EMAIL_TAKEN"]]


async def _user(database, email: str) -> User | None:
    from db.services.users import find_by_email

    async with database.sessionmaker() as db:
        return await find_by_email(db, email)
