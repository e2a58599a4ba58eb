"""Internationalised addresses reach their mailbox: an IDN domain goes out in its ASCII (IDNA) form, a
non-ASCII local part in UTF-8 headers with SMTPUTF8 (RFC 6531/6532), received by a real SMTP server. A
server without SMTPUTF8 refuses such a message for good instead of being retried without end."""

from __future__ import annotations

import email
import email.policy

from sqlalchemy import select

from db.models import OutboxMessage
from db.services.email_flows import DEFAULT_POLICY
from db.services import outbox
from db.services.mail_messages import Kind, render
from db.types import utcnow
from tests.support.auth import sign_up
from tests.support.mail import SmtpServer, worker_for

VERIFY = "Verify your email address for usergraph"


def headers_of(content: str):
    return email.message_from_string(content, policy=email.policy.default)


def test_an_idn_domain_is_written_in_ascii_and_needs_nothing_of_the_server():
    mail = render(DEFAULT_POLICY.mail, Kind.TEST, to="ann@bücher.example")
    assert mail.recipient == "ann@xn--bcher-kva.example"
    assert mail.content.isascii()
    assert headers_of(mail.content)["To"].addresses[0].addr_spec == "ann@xn--bcher-kva.example"


def test_a_non_ascii_local_part_is_written_as_utf8_not_as_encoded_words():
    mail = render(DEFAULT_POLICY.mail, Kind.TEST, to="ünal@bücher.example")
    assert mail.recipient == "ünal@xn--bcher-kva.example"
    headers = mail.content.split("\n\n", 1)[0]
    assert "\nTo: ünal@xn--bcher-kva.example\n" in headers and "=?utf-8?" not in headers
    assert headers_of(mail.content)["To"].addresses[0].addr_spec == "ünal@xn--bcher-kva.example"


async def test_sign_up_with_international_addresses_mails_each_to_its_mailbox(mail_client, smtp_server):
    addresses = [("ünal@example.com", "ünal@example.com"), ("ann@bücher.example", "ann@xn--bcher-kva.example")]
    for address, envelope in addresses:
        assert (await sign_up(mail_client, email=address))["errors"] == []
        [received] = await smtp_server.inbox.wait_for(envelope, subject=VERIFY)
        assert received.message["To"].addresses[0].addr_spec == envelope
        assert "/verify-email?token=" in received.link("/verify-email")


async def test_a_server_without_smtputf8_refuses_such_a_message_for_good(database):
    server = SmtpServer(smtputf8=False)
    server.start()
    try:
        now = utcnow()
        async with database.sessionmaker.begin() as db:
            await outbox.enqueue(db, render(DEFAULT_POLICY.mail, Kind.TEST, to="ünal@example.com", now=now), now=now)
            await outbox.enqueue(db, render(DEFAULT_POLICY.mail, Kind.TEST, to="ann@bücher.example", now=now), now=now)
        assert await worker_for(database, server).deliver_due(now=now) == 2
    finally:
        server.stop()
    async with database.sessionmaker() as db:
        by_recipient = {row.recipient: row for row in (await db.scalars(select(OutboxMessage))).all()}
    refused = by_recipient["ünal@example.com"]
    assert refused.failed_at is not None and refused.sent_at is None and "SMTPUTF8" in refused.last_error
    assert by_recipient["ann@xn--bcher-kva.example"].sent_at is not None  # the IDN domain needed nothing
    assert [mail.to for mail in server.inbox.received] == ["ann@xn--bcher-kva.example"]


async def test_a_sent_utf8_message_keeps_only_its_headers(database, smtp_server):
    now = utcnow()
    async with database.sessionmaker.begin() as db:
        await outbox.enqueue(db, render(DEFAULT_POLICY.mail, Kind.TEST, to="ünal@example.com", now=now), now=now)
    assert await worker_for(database, smtp_server).deliver_due(now=now) == 1
    async with database.sessionmaker() as db:
        [row] = (await db.scalars(select(OutboxMessage))).all()
    assert row.sent_at is not None and "To: ünal@example.com\n" in row.content
    assert "usergraph test message" in row.content and "<html>" not in row.content and "text/plain" not in row.content
    assert [mail.to for mail in smtp_server.inbox.received] == ["ünal@example.com"]
