"""An admin's `updateUser` of a password or an email gets the account the same security notice as the
user's own change (CONTRACT.md, "Email flows"), received by a real SMTP server: the password's to the
account's address, the email's to the old address. A move to another address is EMAIL_CHANGED (the
snapshot the new address, the old one in details), as confirmEmailChange records it."""

from __future__ import annotations

from sqlalchemy import select

from db.models import OutboxMessage
from schema.relay import to_global_id
from tests.support.events import events_of, only_event
from tests.support.factories import make_user, signed_in_admin

UPDATE = """mutation ($id: ID!, $input: UpdateUserInput!) {
  updateUser(id: $id, input: $input) { user { email } errors { field code } }
}"""
NEW_PASSWORD = "purple elephant dancing quietly"


async def update(client, token: str, user, **input_) -> dict:
    body = await client.gql(UPDATE, {"id": to_global_id("User", user.id), "input": input_}, token=token)
    return body["data"]["updateUser"]


async def subjects(database) -> list[str]:
    async with database.sessionmaker() as db:
        return list((await db.scalars(select(OutboxMessage.subject))).all())


async def test_a_password_set_by_an_admin_is_notified_to_the_account(mail_client, smtp_server, database):
    _, token = await signed_in_admin(database, email="root@example.com")
    ann = await make_user(database, email="ann@example.com")
    assert (await update(mail_client, token, ann, password=NEW_PASSWORD))["errors"] == []

    [notice] = await smtp_server.inbox.wait_for("ann@example.com", subject="Your usergraph password was changed")
    assert "was set by an administrator" in notice.text and "If this wasn't you" in notice.text
    assert "token=" not in notice.content.decode() and NEW_PASSWORD not in notice.content.decode()
    assert smtp_server.inbox.to("root@example.com") == []


async def test_an_email_changed_by_an_admin_is_notified_to_the_old_address_and_recorded(
    mail_client, smtp_server, database
):
    admin, token = await signed_in_admin(database, email="root@example.com")
    ann = await make_user(database, email="ann@example.com", name="Ann")
    payload = await update(mail_client, token, ann, email="ann.new@example.com", name="Annie")
    assert payload == {"user": {"email": "ann.new@example.com"}, "errors": []}

    [notice] = await smtp_server.inbox.wait_for("ann@example.com", subject="Your usergraph email address was changed")
    assert "changed by an administrator" in notice.text and "ann.new@example.com" in notice.text
    assert "If this wasn't you" in notice.text and "token=" not in notice.content.decode()
    assert smtp_server.inbox.to("ann.new@example.com") == []

    changed = await only_event(database, "EMAIL_CHANGED")
    assert (changed.user_id, changed.actor_id, changed.actor_kind) == (ann.id, admin.id, "ADMIN")
    assert (changed.email, changed.details) == ("ann.new@example.com", {"old_email": "ann@example.com"})
    assert changed.request_id
    # The rest of the update is a profile change; the email is told by its own event.
    updated = await only_event(database, "USER_UPDATED")
    assert (updated.details, updated.actor_kind) == ({"fields": ["name"]}, "ADMIN")


async def test_an_admin_changing_only_the_case_of_an_email_moves_nothing(mail_client, database):
    _, token = await signed_in_admin(database, email="root@example.com")
    ann = await make_user(database, email="ann@example.com")
    assert (await update(mail_client, token, ann, email="Ann@Example.com"))["errors"] == []
    assert await events_of(database, "EMAIL_CHANGED") == []
    assert (await only_event(database, "USER_UPDATED")).details == {"fields": ["email"]}
    assert await subjects(database) == []  # the same address: no notice


async def test_a_refused_admin_update_sends_no_notice(mail_client, database):
    _, token = await signed_in_admin(database, email="root@example.com")
    ann = await make_user(database, email="ann@example.com")
    await make_user(database, email="bob@example.com")
    payload = await update(mail_client, token, ann, email="bob@example.com", password=NEW_PASSWORD)
    assert [error["code"] for error in payload["errors"]] == ["EMAIL_TAKEN"]
    assert await subjects(database) == []
    assert await events_of(database, "EMAIL_CHANGED", "PASSWORD_CHANGED") == []
