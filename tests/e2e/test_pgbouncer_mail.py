"""The email flows and mail delivery behind a real PgBouncer in transaction pooling mode: token use, the
limiter, the outbox's SKIP LOCKED claims, with no prepared-statement error and no message sent twice."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from tests.support.auth import sign_up
from tests.support.email_flows import request_reset, reset
from tests.support.pgbouncer import pgbouncer_binary, running_pgbouncer

USERS = 6


@pytest.fixture
def bouncer_url(requires_postgres, database_url) -> str:
    if pgbouncer_binary() is None:
        pytest.skip("needs pgbouncer (apt-get install -y pgbouncer; .ci/run installs it)")
    with running_pgbouncer(database_url, pool_size=3) as url:
        yield url.render_as_string(hide_password=False)


async def test_resets_through_pgbouncer_deliver_each_message_once(bouncer_url, make_client, smtp_server):
    overrides = dict(database_url=bouncer_url, db_pooler="transaction", pool_size=5, max_overflow=5,
                     smtp_url=smtp_server.url, mail_backend="smtp")
    emails = [f"bouncer{index}@example.com" for index in range(USERS)]
    async with make_client(**overrides) as client, make_client(**overrides) as other_process:
        await asyncio.gather(*(sign_up(client, email=email) for email in emails))
        answers = await asyncio.gather(*(request_reset(other_process, email) for email in emails))
        assert answers == [{"ok": True, "errors": []}] * USERS
        tokens = []
        for email in emails:
            mails = await smtp_server.inbox.wait_for(email, 2, within=60)
            [mail] = [m for m in mails if m.subject.startswith("Reset")]
            tokens.append(mail.token("/reset-password"))
        results = await asyncio.gather(*(reset(client, token) for token in tokens))
        assert results == [{"ok": True, "errors": []}] * USERS
        for email in emails:
            await smtp_server.inbox.wait_for(email, 3, within=60)  # the notices
    delivered = Counter(mail.message_id for mail in smtp_server.inbox.received)
    assert len(delivered) == 3 * USERS and set(delivered.values()) == {1}
