"""The security events of the email flows, read back from the real event log as their operations leave
them (links taken from the mail a real SMTP server received): who, which actor kind, which email snapshot,
which details. An operation that fails after writing its event rolls it back: it leaves no event, and
its link still works."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine import Engine

from schema.relay import from_global_id
from tests.support.auth import PASSWORD, sign_up
from tests.support.email_flows import (
    CONFIRM_CHANGE,
    NEW_PASSWORD,
    RESET,
    VERIFY,
    confirm_change,
    request_change,
    request_reset,
    reset,
    verify,
)
from tests.support.events import events_of, only_event

ANN, NEW = "ann@example.com", "ann.new@example.com"
UA = {"User-Agent": "email-events/1.0"}


def assert_client(recorded) -> None:
    assert recorded.ip_address == "127.0.0.1" and recorded.user_agent == "email-events/1.0"
    assert recorded.request_id


async def test_a_reset_request_is_anonymous_and_the_reset_is_the_users(mail_client, smtp_server, database):
    user_id = from_global_id((await sign_up(mail_client, email=ANN))["user"]["id"])[1]
    assert (await request_reset(mail_client, "nobody@example.com"))["ok"]
    assert await events_of(database, "PASSWORD_RESET_REQUESTED") == []  # no account, no event

    await mail_client.gql("mutation ($e: String!) { requestPasswordReset(input: {email: $e}) { ok } }",
                          {"e": "ANN@example.com"}, headers=UA)
    requested = await only_event(database, "PASSWORD_RESET_REQUESTED")
    assert (requested.user_id, requested.actor_id, requested.actor_kind) == (user_id, None, "ANONYMOUS")
    assert (requested.email, requested.details) == (ANN, {"mailed": True})
    assert_client(requested)

    token = await smtp_server.inbox.token(ANN, "Reset", "/reset-password")
    body = await mail_client.gql(RESET, {"token": token, "password": NEW_PASSWORD}, headers=UA)
    assert body["data"]["resetPassword"]["ok"]
    done = await only_event(database, "PASSWORD_RESET")
    assert (done.user_id, done.actor_id, done.actor_kind, done.email) == (user_id, user_id, "SELF", ANN)
    assert_client(done)


async def test_verification_and_email_change_are_the_users(mail_client, smtp_server, database):
    up = await sign_up(mail_client, email=ANN)
    user_id = from_global_id(up["user"]["id"])[1]
    token = await smtp_server.inbox.token(ANN, "Verify", "/verify-email")
    assert (await mail_client.gql(VERIFY, {"token": token}, headers=UA))["data"]["verifyEmail"]["errors"] == []
    verified = await only_event(database, "EMAIL_VERIFIED")
    assert (verified.user_id, verified.actor_id, verified.actor_kind, verified.email) == (user_id, user_id, "SELF", ANN)
    assert_client(verified)

    await request_change(mail_client, up["token"], NEW, PASSWORD)
    requested = await only_event(database, "EMAIL_CHANGE_REQUESTED")
    assert (requested.user_id, requested.actor_id, requested.actor_kind) == (user_id, user_id, "SELF")
    assert (requested.email, requested.details) == (ANN, {"new_email": NEW})  # still the old address

    token = await smtp_server.inbox.token(NEW, "Confirm", "/confirm-email")
    body = await mail_client.gql(CONFIRM_CHANGE, {"token": token}, headers=UA)
    assert body["data"]["confirmEmailChange"]["errors"] == []
    changed = await only_event(database, "EMAIL_CHANGED")
    # Anonymous caller, the user's act: the link proves the address (it may be opened on another device).
    assert (changed.user_id, changed.actor_id, changed.actor_kind) == (user_id, user_id, "SELF")
    assert (changed.email, changed.details) == (NEW, {"old_email": ANN})
    assert_client(changed)


@contextmanager
def outbox_unavailable() -> Iterator[None]:
    """Every INSERT into the mail outbox fails, as a database error would: the operation's statements
    before it (its event among them) are rolled back with it."""

    def refuse(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("INSERT INTO OUTBOX"):
            raise RuntimeError("the outbox is unavailable")

    event.listen(Engine, "before_cursor_execute", refuse)
    try:
        yield
    finally:
        event.remove(Engine, "before_cursor_execute", refuse)


def internal_error(body: dict) -> bool:
    return [error["extensions"]["code"] for error in body.get("errors", [])] == ["INTERNAL_SERVER_ERROR"]


async def test_a_rolled_back_email_flow_leaves_no_event(mail_client, smtp_server, database):
    inbox = smtp_server.inbox
    up = await sign_up(mail_client, email=ANN)
    verification = await inbox.token(ANN, "Verify", "/verify-email")

    # A field the anonymous holder of the link may not see fails the operation after its event.
    hidden = "mutation ($t: String!) { verifyEmail(input: {token: $t}) { user { sessions { totalCount } } } }"
    body = await mail_client.gql(hidden, {"t": verification})
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert await events_of(database, "EMAIL_VERIFIED") == []
    assert (await verify(mail_client, verification))["errors"] == []  # the link was not used up

    with outbox_unavailable():
        assert internal_error(await mail_client.gql(
            "mutation { requestPasswordReset(input: {email: \"ann@example.com\"}) { ok } }"))
        assert internal_error(await mail_client.gql(
            "mutation ($e: String!, $p: String!) { requestEmailChange(input: {newEmail: $e, password: $p}) { ok } }",
            {"e": NEW, "p": PASSWORD}, token=up["token"]))
    assert await events_of(database, "PASSWORD_RESET_REQUESTED", "EMAIL_CHANGE_REQUESTED") == []

    await request_change(mail_client, up["token"], NEW, PASSWORD)
    confirmation = await inbox.token(NEW, "Confirm", "/confirm-email")
    with outbox_unavailable():
        assert internal_error(await mail_client.gql(CONFIRM_CHANGE, {"token": confirmation}))
    assert await events_of(database, "EMAIL_CHANGED") == []
    assert (await confirm_change(mail_client, confirmation))["errors"] == []  # the link still works
    assert [e.email for e in await events_of(database, "EMAIL_CHANGED")] == [NEW]

    await request_reset(mail_client, NEW)
    reset_link = await inbox.token(NEW, "Reset", "/reset-password")
    with outbox_unavailable():
        assert internal_error(await mail_client.gql(RESET, {"token": reset_link, "password": NEW_PASSWORD}))
    assert await events_of(database, "PASSWORD_RESET") == []
    assert (await reset(mail_client, reset_link))["ok"]
    assert [e.email for e in await events_of(database, "PASSWORD_RESET")] == [NEW]
