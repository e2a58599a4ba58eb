"""The outbox under faults, with a real SMTP server: nothing lost while the server is down, a crashed
worker's claim taken over after its lease, a refused recipient given up on, two workers never sending
one message. Workers are driven pass by pass with a controlled clock."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

from sqlalchemy import select

from api.mail.worker import DeliveryWorker
from db.engine import Database
from db.models import OutboxMessage
from db.services import outbox
from db.services.email_flows import DEFAULT_POLICY
from db.services.mail_messages import Kind, render
from db.types import utcnow
from tests.support.mail import worker_for


async def enqueue(database, *recipients: str, now=None) -> list[str]:
    """Messages to `recipients`, committed; returns their Message-IDs."""
    ids = []
    async with database.sessionmaker.begin() as db:
        for recipient in recipients:
            mail = render(DEFAULT_POLICY.mail, Kind.TEST, to=recipient, now=now)
            await outbox.enqueue(db, mail, now=now)
            ids.append(mail.message_id)
    return ids


async def rows(database) -> list[OutboxMessage]:
    async with database.sessionmaker() as db:
        return list((await db.scalars(select(OutboxMessage))).all())


async def test_a_message_waits_out_a_mail_server_outage_and_is_delivered_once_with_its_message_id(
    database, smtp_server
):
    start = utcnow()
    [message_id] = await enqueue(database, "ann@example.com", now=start)
    worker = worker_for(database, smtp_server)
    smtp_server.stop()
    assert await worker.deliver_due(now=start) == 1
    [row] = await rows(database)
    assert row.sent_at is None and row.attempts == 1 and row.last_error
    assert row.next_attempt_at == start + timedelta(seconds=30)
    assert await worker.deliver_due(now=start + timedelta(seconds=10)) == 0  # backing off
    assert await worker.deliver_due(now=start + timedelta(seconds=31)) == 1  # still down: twice as long next
    [row] = await rows(database)
    assert row.next_attempt_at == start + timedelta(seconds=31 + 60)

    smtp_server.start()
    assert await worker.deliver_due(now=start + timedelta(seconds=92)) == 1
    [received] = smtp_server.inbox.to("ann@example.com")
    assert received.message_id == message_id
    [row] = await rows(database)
    assert row.sent_at is not None and row.message_id == message_id
    assert f"Message-ID: {message_id}" in row.content and "its SMTP settings work" not in row.content  # headers only
    assert await worker.deliver_due(now=start + timedelta(hours=2)) == 0
    assert len(smtp_server.inbox.received) == 1


async def test_a_crashed_workers_claim_runs_out_and_another_sends_the_message(database, smtp_server):
    start = utcnow()
    [message_id] = await enqueue(database, "ann@example.com", now=start)
    async with database.sessionmaker.begin() as db:  # a worker claims it, then its process dies
        [claimed] = await outbox.claim(db, lease=timedelta(minutes=5), now=start)
    worker = worker_for(database, smtp_server)
    assert await worker.deliver_due(now=start + timedelta(minutes=4)) == 0  # the lease still runs
    assert smtp_server.inbox.received == []
    assert await worker.deliver_due(now=start + timedelta(minutes=6)) == 1
    [received] = smtp_server.inbox.to("ann@example.com")
    assert received.message_id == message_id
    # The dead worker's claim is no longer its own: had it come back, its mark would change nothing.
    async with database.sessionmaker.begin() as db:
        await outbox.retry_later(db, claimed, error="late", delay=timedelta(0))
    [row] = await rows(database)
    assert row.sent_at is not None and row.last_error is None


async def test_a_message_sent_before_a_crash_is_sent_again_with_the_same_message_id(database, smtp_server):
    start = utcnow()
    await enqueue(database, "ann@example.com", now=start)
    worker = worker_for(database, smtp_server)
    async with database.sessionmaker.begin() as db:
        [claimed] = await outbox.claim(db, lease=timedelta(minutes=5), now=start)
    # Sent, and the process died before marking it.
    await worker.transport.send(sender=claimed.sender, recipient=claimed.recipient, content=claimed.content)
    assert await worker.deliver_due(now=start + timedelta(minutes=6)) == 1
    first, second = smtp_server.inbox.to("ann@example.com")
    assert first.message_id == second.message_id  # a receiver can drop the repeat


async def test_a_refused_recipient_is_given_up_and_does_not_hold_up_the_others(database, smtp_server):
    smtp_server.inbox.refuse.add("gone@example.com")
    start = utcnow()
    await enqueue(database, "gone@example.com", "ann@example.com", now=start)
    worker = worker_for(database, smtp_server)
    assert await worker.deliver_due(now=start) == 2
    assert [mail.to for mail in smtp_server.inbox.received] == ["ann@example.com"]
    gone = next(row for row in await rows(database) if row.recipient == "gone@example.com")
    assert gone.failed_at is not None and gone.sent_at is None and "550" in gone.last_error
    assert await worker.deliver_due(now=start + timedelta(days=1)) == 0


async def test_two_workers_with_pools_of_their_own_never_send_one_message_twice(database, settings, smtp_server):
    start = utcnow()
    recipients = [f"user{number}@example.com" for number in range(40)]
    await enqueue(database, *recipients, now=start)
    databases = [Database.from_settings(settings) for _ in range(2)]
    try:
        workers = [worker_for(each, smtp_server) for each in databases]

        async def drain(worker: DeliveryWorker) -> int:
            total = 0
            while claimed := await worker.deliver_due(now=start):
                total += claimed
            return total

        counts = await asyncio.gather(*(drain(worker) for worker in workers))
    finally:
        for each in databases:
            await each.dispose()
    assert sum(counts) == len(recipients)
    delivered = Counter(mail.message_id for mail in smtp_server.inbox.received)
    assert len(delivered) == len(recipients) and set(delivered.values()) == {1}
    assert all(row.sent_at is not None for row in await rows(database))


async def test_the_serving_process_delivers_at_once_after_the_commit(make_client, smtp_server):
    # The app's own worker polls every 10 minutes here: what arrives was sent because the commit woke it.
    from tests.support.email_flows import request_reset

    async with make_client(smtp_url=smtp_server.url, mail_backend="smtp", mail_poll_seconds=600) as client:
        await client.gql(
            'mutation { signUp(input: {email: "ann@example.com", password: "correct horse battery staple", '
            'name: "Ann"}) { token } }'
        )
        await smtp_server.inbox.wait_for("ann@example.com", 1)
        await request_reset(client, "ann@example.com")
        mails = await smtp_server.inbox.wait_for("ann@example.com", 2)
    assert sorted(mail.subject for mail in mails) == ["Reset your usergraph password",
                                                       "Verify your email address for usergraph"]


async def test_mail_committed_while_no_process_delivered_goes_out_when_one_starts(database, make_client, smtp_server):
    # A process stopped between the commit and the send: the next one to start sends the message.
    [message_id] = await enqueue(database, "ann@example.com")
    async with make_client(smtp_url=smtp_server.url, mail_backend="smtp", mail_poll_seconds=600):
        [mail] = await smtp_server.inbox.wait_for("ann@example.com")
    assert mail.message_id == message_id


async def test_a_claim_takes_no_more_messages_than_its_limit(database):
    """PostgreSQL may run an `IN (... LIMIT n FOR UPDATE SKIP LOCKED)` subquery again for each row it
    scans and claim them all; a message claimed but never sent would then wait for its lease to run out."""
    start = utcnow()
    await enqueue(database, "a@example.com", "b@example.com", "c@example.com", now=start)
    seen = []
    for _ in range(3):
        async with database.sessionmaker.begin() as db:
            claimed = await outbox.claim(db, lease=timedelta(minutes=5), limit=1, now=start)
        assert len(claimed) == 1
        seen += [message.recipient for message in claimed]
    assert sorted(seen) == ["a@example.com", "b@example.com", "c@example.com"]
    async with database.sessionmaker.begin() as db:
        assert await outbox.claim(db, lease=timedelta(minutes=5), limit=1, now=start) == []
