"""`usergraph send-test-email` and what `purge-sessions` does for the email flows."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import insert, select

from db.models import LinkToken, OutboxMessage, User
from db.types import utcnow
from tests.cli.test_cli import run
from tests.support.server import free_port


def test_send_test_email_sends_through_the_smtp_server(smtp_server):
    result = run("send-test-email", "--to", "ops@example.com", env={"SMTP_URL": smtp_server.url})
    assert result.returncode == 0, result.stderr
    [mail] = smtp_server.inbox.to("ops@example.com")
    assert "test message" in mail.subject and mail.message_id in result.stdout


def test_send_test_email_fails_on_one_line_when_the_server_is_unreachable():
    result = run("send-test-email", "--to", "ops@example.com",
                 env={"SMTP_URL": f"smtp://127.0.0.1:{free_port()}", "SMTP_TIMEOUT_SECONDS": "5"})
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("usergraph send-test-email: could not send through 127.0.0.1:")


def test_send_test_email_needs_smtp_url():
    result = run("send-test-email", "--to", "ops@example.com", env={"SMTP_URL": ""})
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "usergraph send-test-email: SMTP_URL is not set (mail goes to the log); set it to the server to check"
    )


async def test_purge_sessions_purges_ended_link_tokens_and_sent_mail(database):
    now = utcnow()
    async with database.sessionmaker.begin() as db:
        user = User(email="ann@example.com", name="Ann", password_hash="x")
        db.add(user)
        await db.flush()

        def token(name, **times):
            return dict(user_id=user.id, purpose="reset_password", token_hash=name.ljust(64, "0"),
                        fingerprint="f", created_at=now - timedelta(days=60), **times)

        await db.execute(insert(LinkToken), [
            token("outstanding", expires_at=now + timedelta(hours=1)),
            token("expired-40d", expires_at=now - timedelta(days=40)),
            token("used-40d", expires_at=now + timedelta(hours=1), used_at=now - timedelta(days=40)),
            token("used-1d", expires_at=now + timedelta(hours=1), used_at=now - timedelta(days=1)),
        ])

        def mail(name, **times):
            return dict(message_id=f"<{name}@x>", sender="a@x", recipient="b@x", subject=name, content="x",
                        created_at=now - timedelta(days=60), next_attempt_at=now, attempts=0, **times)

        await db.execute(insert(OutboxMessage), [
            mail("unsent"), mail("sent-40d", sent_at=now - timedelta(days=40)),
            mail("sent-1d", sent_at=now - timedelta(days=1)), mail("failed-40d", failed_at=now - timedelta(days=40)),
        ])
    result = run("purge-sessions")
    assert result.returncode == 0, result.stderr
    assert "deleted 2 used or expired link token(s) and 2 sent message(s) from the outbox" in result.stdout
    async with database.sessionmaker() as db:
        assert sorted(h.rstrip("0") for h in (await db.scalars(select(LinkToken.token_hash))).all()) == [
            "outstanding", "used-1d"
        ]
        assert sorted((await db.scalars(select(OutboxMessage.subject))).all()) == ["sent-1d", "unsent"]
