"""Every value of SecurityEventType is something the service records (CONTRACT.md: "Every event in
SecurityEventType is recorded when it happens"): one account's life through the API, with links read
from the mail a real SMTP server received and codes computed from the secret, leaves each type in the
event log, and no type the schema does not name. A type added to the enum without a producer fails here."""

from __future__ import annotations

from sqlalchemy import select

from db.models import SecurityEvent
from db.services.events import EventType
from tests.support.auth import PASSWORD, sign_in, sign_up
from tests.support.email_flows import (
    CHANGE_PASSWORD,
    NEW_PASSWORD,
    call,
    confirm_change,
    request_change,
    request_reset,
    reset,
    verify,
)
from tests.support.factories import signed_in_admin
from tests.support.two_factor import (
    BEGIN,
    CONFIRM,
    DISABLE,
    REGENERATE,
    Clock,
    challenge_for,
    clocked_client,
)
from tests.support.two_factor import verify as verify_code

ANN, NEW = "ann@example.com", "ann.new@example.com"
ENUM = '{ __type(name: "SecurityEventType") { enumValues { name } } }'
CREATE = """mutation {
  createUser(input: {email: "bo@example.com", name: "Bo", password: "correct horse battery staple"}) {
    user { id } errors { code }
  }
}"""
UPDATE = "mutation ($id: ID!, $input: UpdateUserInput!) { updateUser(id: $id, input: $input) { errors { code } } }"
BAN = 'mutation ($id: ID!) { banUser(id: $id, input: {reason: "spam"}) { errors { code } } }'
UNBAN = "mutation ($id: ID!) { unbanUser(id: $id) { errors { code } } }"
IMPERSONATE = "mutation ($id: ID!) { impersonateUser(id: $id) { token errors { code } } }"
DELETE = "mutation ($id: ID!) { deleteUser(id: $id) { errors { code } } }"


async def ok(client, query: str, variables: dict | None = None, *, token: str | None = None) -> dict:
    """Run a mutation of one root field that must succeed; its payload."""
    body = await client.gql(query, variables, token=token)
    assert "errors" not in body, body
    (payload,) = body["data"].values()
    assert not payload.get("errors"), payload
    return payload


async def test_one_accounts_life_records_every_security_event_type(make_client, monkeypatch, smtp_server, database):
    clock = Clock()
    async with clocked_client(make_client, monkeypatch, clock, smtp_url=smtp_server.url, mail_backend="smtp") as client:
        inbox = smtp_server.inbox

        # Sign-up, verification, sign-in (a failed one first), sign-out, revocation, password change.
        token = (await sign_up(client, email=ANN))["token"]  # SIGNED_UP
        verified = await verify(client, await inbox.token(ANN, "Verify", "/verify-email"))
        assert verified["errors"] == []  # EMAIL_VERIFIED
        assert (await sign_in(client, password="not the password at all"))["token"] is None  # SIGN_IN_FAILED
        other = (await sign_in(client))["token"]  # SIGNED_IN
        await ok(client, "mutation { signOut { session { status } } }", token=other)  # SIGNED_OUT
        await sign_in(client)
        await ok(client, "mutation { revokeOtherSessions { revokedCount } }", token=token)  # SESSION_REVOKED
        changed = await call(client, CHANGE_PASSWORD, "changePassword", bearer=token, current=PASSWORD,
                             new="a different horse, battery staple")
        assert changed["errors"] == []  # PASSWORD_CHANGED

        # Forgotten password, then a new email address.
        assert (await request_reset(client, ANN))["ok"]  # PASSWORD_RESET_REQUESTED
        assert (await reset(client, await inbox.token(ANN, "Reset", "/reset-password")))["ok"]  # PASSWORD_RESET
        token = (await sign_in(client, password=NEW_PASSWORD))["token"]
        assert (await request_change(client, token, NEW, NEW_PASSWORD))["ok"]  # EMAIL_CHANGE_REQUESTED
        confirmed = await confirm_change(client, await inbox.token(NEW, "Confirm", "/confirm-email"))
        assert confirmed["errors"] == []  # EMAIL_CHANGED

        # Two-factor: on, new recovery codes, a sign-in with one of them, off.
        begun = await ok(client, BEGIN, {"password": NEW_PASSWORD}, token=token)
        await ok(client, CONFIRM, {"code": clock.code(begun["secret"])}, token=token)  # TWO_FACTOR_ENABLED
        fresh = await ok(client, REGENERATE, {"password": NEW_PASSWORD}, token=token)  # RECOVERY_CODES_REGENERATED
        challenge = await challenge_for(client, email=NEW, password=NEW_PASSWORD)
        assert (await verify_code(client, challenge, fresh["recoveryCodes"][0]))["token"]  # RECOVERY_CODE_USED
        clock.advance(30)
        await ok(client, DISABLE, {"password": NEW_PASSWORD, "code": clock.code(begun["secret"])},
                 token=token)  # TWO_FACTOR_DISABLED

        # An admin's tools, on another account.
        _, admin = await signed_in_admin(database, email="root@example.com")
        bo = {"id": (await ok(client, CREATE, token=admin))["user"]["id"]}  # USER_CREATED
        await ok(client, UPDATE, {**bo, "input": {"name": "Bob"}}, token=admin)  # USER_UPDATED
        await ok(client, UPDATE, {**bo, "input": {"role": "ADMIN"}}, token=admin)  # ROLE_CHANGED
        await ok(client, UPDATE, {**bo, "input": {"role": "USER"}}, token=admin)
        await ok(client, BAN, bo, token=admin)  # USER_BANNED
        await ok(client, UNBAN, bo, token=admin)  # USER_UNBANNED
        as_bo = (await ok(client, IMPERSONATE, bo, token=admin))["token"]  # IMPERSONATION_STARTED
        await ok(client, "mutation { stopImpersonating { errors { code } } }", token=as_bo)  # IMPERSONATION_STOPPED
        await ok(client, DELETE, bo, token=admin)  # USER_DELETED

        enum = (await client.gql(ENUM))["data"]["__type"]["enumValues"]

    async with database.sessionmaker() as db:
        recorded = set((await db.scalars(select(SecurityEvent.type).distinct())).all())
    named = {value["name"] for value in enum}
    assert named == {type_.value for type_ in EventType}
    assert sorted(named - recorded) == [] and sorted(recorded - named) == []
