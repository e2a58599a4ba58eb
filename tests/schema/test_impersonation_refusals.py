"""The newer fields that change the email or two-factor refuse an impersonation session (CONTRACT.md,
"Bans, impersonation, events"): FORBIDDEN, and not a row of the database changes, although the input is
one that the user's own session then gets accepted."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import SQLModel

from tests.support.auth import PASSWORD, sign_up
from tests.support.email_flows import REQUEST_CHANGE
from tests.support.factories import signed_in_admin
from tests.support.two_factor import (
    BEGIN,
    CONFIRM,
    DISABLE,
    REGENERATE,
    Clock,
    clocked_client,
    user_with_two_factor,
)


@pytest.fixture
async def client(make_client, monkeypatch, clock):
    async with clocked_client(make_client, monkeypatch, clock) as client:
        yield client


class Target:
    """The user an admin impersonates, and what a valid call of the field looks like for them."""

    def __init__(self, user_id: str, token: str, variables: Callable[[], dict[str, Any]]) -> None:
        self.user_id, self.token, self.variables = user_id, token, variables


async def without_two_factor(client, clock) -> Target:
    up = await sign_up(client)
    return Target(up["user"]["id"], up["token"], lambda: {"password": PASSWORD, "email": "ann.new@example.com"})


async def with_set_up_begun(client, clock) -> Target:
    up = await sign_up(client)
    begun = (await client.gql(BEGIN, {"password": PASSWORD}, token=up["token"]))["data"]["beginTwoFactorSetup"]
    return Target(up["user"]["id"], up["token"], lambda: {"code": clock.code(begun["secret"])})


async def with_two_factor(client, clock) -> Target:
    ann = await user_with_two_factor(client, clock)
    return Target(ann.user_id, ann.token, lambda: {"password": PASSWORD, "code": clock.code(ann.secret)})


Setup = Callable[[Any, Clock], Awaitable[Target]]
CASES: list[tuple[str, str, Setup]] = [
    ("requestEmailChange", REQUEST_CHANGE, without_two_factor),
    ("beginTwoFactorSetup", BEGIN, without_two_factor),
    ("confirmTwoFactorSetup", CONFIRM, with_set_up_begun),
    ("disableTwoFactor", DISABLE, with_two_factor),
    ("regenerateRecoveryCodes", REGENERATE, with_two_factor),
]


# The app's mail worker delivers in the background while a test runs: it claims, sends, marks and trims
# outbox rows at moments of its own. Which messages exist is the database's content; how far their
# delivery has got is not, and comparing it made this test fail whenever the worker ran in between.
DELIVERY_STATE = {"content", "next_attempt_at", "attempts", "claim_id", "claimed_until", "sent_at", "failed_at",
                  "last_error"}


def _columns(table):
    if table.name == "outbox":
        return [column for column in table.columns if column.name not in DELIVERY_STATE]
    return list(table.columns)


async def every_row(database) -> dict[str, list[tuple]]:
    """The whole database, table by table (of the outbox, which messages exist, not their delivery)."""
    import db.models  # noqa: F401  (every table registered)

    async with database.sessionmaker() as db:
        return {
            table.name: sorted(map(tuple, (await db.execute(select(*_columns(table)))).all()), key=repr)
            for table in SQLModel.metadata.sorted_tables
        }


def only_variables(query: str, variables: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in variables.items() if f"${name}" in query}


@pytest.mark.parametrize(("field", "query", "setup"), CASES, ids=[case[0] for case in CASES])
async def test_an_impersonation_session_cannot_change_the_email_or_two_factor(
    client, clock, database, field, query, setup
):
    target = await setup(client, clock)
    client.cookies.clear()
    _, admin_token = await signed_in_admin(database, email="root@example.com")
    as_user = (await client.gql(
        "mutation($id: ID!) { impersonateUser(id: $id) { token errors { code } } }", {"id": target.user_id},
        token=admin_token,
    ))["data"]["impersonateUser"]["token"]
    variables = only_variables(query, target.variables())
    before = await every_row(database)

    body = await client.gql(query, variables, token=as_user)
    assert [error["extensions"]["code"] for error in body["errors"]] == ["FORBIDDEN"]
    assert body["data"] is None or body["data"][field] is None
    assert await every_row(database) == before

    # The same input from the user's own session is accepted: only the session was refused.
    own = await client.gql(query, variables, token=target.token)
    assert "errors" not in own and own["data"][field]["errors"] == []
