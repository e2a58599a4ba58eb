"""resetTwoFactor: an admin turns a user's two-factor off (a lost device) and signs them out everywhere."""

from __future__ import annotations

import uuid

import pytest

from schema.relay import to_global_id
from tests.support.auth import codes, sign_in
from tests.support.factories import signed_in, signed_in_admin
from tests.support.two_factor import RESET, VIEWER_2FA, clocked_client, user_with_two_factor


@pytest.fixture
async def client(make_client, monkeypatch, clock):
    async with clocked_client(make_client, monkeypatch, clock) as client:
        yield client


async def test_an_admin_reset_turns_two_factor_off_and_revokes_every_session_of_the_user(client, clock, database):
    ann = await user_with_two_factor(client, clock)
    _, admin_token = await signed_in_admin(database)
    reset = (await client.gql(RESET, {"id": ann.user_id}, token=admin_token))["data"]["resetTwoFactor"]
    assert reset == {"user": {"id": ann.user_id, "twoFactorEnabled": False}, "errors": []}
    assert (await client.gql(VIEWER_2FA, token=ann.token))["data"]["viewer"] is None  # signed out
    signed = await sign_in(client)
    assert signed["errors"] == [] and signed["token"]  # one step again
    # The old recovery codes went with it.
    assert (await client.gql(VIEWER_2FA, token=signed["token"]))["data"]["viewer"]["twoFactorEnabled"] is False


async def test_reset_is_for_admins_only(client, clock, database):
    ann = await user_with_two_factor(client, clock)
    _, other_token = await signed_in(database)
    body = await client.gql(RESET, {"id": ann.user_id}, token=other_token)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await client.gql(VIEWER_2FA, token=ann.token))["data"]["viewer"]["twoFactorEnabled"] is True
    anonymous = await client.gql(RESET, {"id": ann.user_id})
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_an_admin_cannot_reset_their_own_two_factor_nor_an_unknown_user(client, database):
    admin, admin_token = await signed_in_admin(database)
    own = (await client.gql(RESET, {"id": to_global_id("User", admin.id)}, token=admin_token))["data"]["resetTwoFactor"]
    assert codes(own) == ["INVALID_INPUT"] and own["errors"][0]["field"] == ["userId"]
    unknown = await client.gql(RESET, {"id": to_global_id("User", uuid.uuid4())}, token=admin_token)
    assert codes(unknown["data"]["resetTwoFactor"]) == ["NOT_FOUND"]
