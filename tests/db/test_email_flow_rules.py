"""The email flows' rules, at the services with a controlled clock: expiries, single use (also under
concurrency), invalidation by any change of email or password, the mail caps and the per-IP limit."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select

from db.models import OutboxMessage, User
from db.services import email_flows
from db.services.email_flows import DEFAULT_POLICY as POLICY
from db.services.origin import Client
from db.services.passwords import Argon2Params, PasswordHashing
from db.types import utcnow
from tests.support.factories import make_user
from tests.support.mail import TOKEN_IN_LINK, text_of
from tests.support.units import in_unit, rejected_codes

PASSWORDS = PasswordHashing(params=Argon2Params(1, 1024, 1), concurrency=1)
CLIENT = Client(ip_address="203.0.113.7", user_agent="pytest")
NEW_PASSWORD = "purple elephant dancing quietly"


async def mails_to(database, address: str) -> list[OutboxMessage]:
    async with database.sessionmaker() as db:
        return list((await db.scalars(
            select(OutboxMessage).where(OutboxMessage.recipient == address).order_by(OutboxMessage.created_at)
        )).all())


def token_in(mail: OutboxMessage) -> str:
    return TOKEN_IN_LINK.search(text_of(mail.content)).group(1)


async def request_reset(database, email: str, *, now=None, client: Client = CLIENT) -> None:
    await in_unit(database, lambda unit: email_flows.request_password_reset(
        unit, policy=POLICY, email=email, client=client, now=now))


async def reset_token(database, email: str, *, now=None) -> str:
    await request_reset(database, email, now=now)
    return token_in((await mails_to(database, email))[-1])


def reset(token: str, *, now=None, password: str = NEW_PASSWORD):
    return lambda unit: email_flows.reset_password(
        unit, policy=POLICY, passwords=PASSWORDS, token=token, new_password=password, client=CLIENT, now=now)


def verify(token: str, *, now=None):
    return lambda unit: email_flows.verify_email(unit, policy=POLICY, token=token, client=CLIENT, now=now)


async def test_a_reset_link_expires_after_an_hour(database):
    user = await make_user(database, email="ann@example.com")
    issued = utcnow()
    token = await reset_token(database, user.email, now=issued)
    assert await rejected_codes(database, reset(token, now=issued + timedelta(minutes=61))) == ["INVALID_TOKEN"]
    assert await rejected_codes(database, reset(token, now=issued + timedelta(minutes=59))) == []


async def test_a_verification_link_lasts_a_day(database):
    user = await make_user(database, email="ann@example.com")
    issued = utcnow()
    await in_unit(database, lambda unit: email_flows.request_email_verification(
        unit, policy=POLICY, viewer=None, email=user.email, client=CLIENT, now=issued))
    token = token_in((await mails_to(database, user.email))[-1])
    assert await rejected_codes(database, verify(token, now=issued + timedelta(hours=24, minutes=1))) == [
        "INVALID_TOKEN"
    ]
    assert await rejected_codes(database, verify(token, now=issued + timedelta(hours=23))) == []


async def test_of_two_concurrent_uses_of_one_token_exactly_one_wins(database):
    user = await make_user(database, email="ann@example.com")
    token = await reset_token(database, user.email)
    results = await asyncio.gather(
        *(rejected_codes(database, reset(token)) for _ in range(2))
    )
    assert sorted(results) == [[], ["INVALID_TOKEN"]]


async def test_a_reset_kills_every_other_link_of_the_account(database):
    user = await make_user(database, email="ann@example.com")
    first = await reset_token(database, user.email)
    second = await reset_token(database, user.email)
    await in_unit(database, lambda unit: email_flows.request_email_verification(
        unit, policy=POLICY, viewer=None, email=user.email, client=CLIENT))
    verification = token_in((await mails_to(database, user.email))[-1])
    assert await rejected_codes(database, reset(second)) == []
    assert await rejected_codes(database, reset(first)) == ["INVALID_TOKEN"]
    assert await rejected_codes(database, verify(verification)) == ["INVALID_TOKEN"]


async def test_at_most_three_reset_mails_an_hour_per_email_and_the_same_answer_after(database):
    user = await make_user(database, email="ann@example.com")
    start = utcnow()
    for minute in range(5):
        await request_reset(database, "ANN@example.com", now=start + timedelta(minutes=minute))
    mails = await mails_to(database, user.email)
    assert len(mails) == 3
    # The links already sent keep working: nobody can block the owner's reset.
    assert await rejected_codes(database, reset(token_in(mails[0]), now=start + timedelta(minutes=5))) == []
    await request_reset(database, user.email, now=start + timedelta(minutes=61))
    resets = [mail for mail in await mails_to(database, user.email) if mail.subject.startswith("Reset")]
    assert len(resets) == 4


async def test_more_than_ten_requests_an_hour_from_one_ip_are_rate_limited_for_unknown_emails_alike(database):
    await make_user(database, email="ann@example.com")
    start = utcnow()
    for number in range(10):
        await request_reset(database, f"nobody{number}@example.com", now=start)
    for email in ("ann@example.com", "nobody@example.com"):
        assert await rejected_codes(database, lambda unit, email=email: email_flows.request_password_reset(
            unit, policy=POLICY, email=email, client=CLIENT, now=start)) == ["RATE_LIMITED"]
    other_ip = Client(ip_address="198.51.100.1")
    await request_reset(database, "ann@example.com", now=start, client=other_ip)
    assert len(await mails_to(database, "ann@example.com")) == 1
    await request_reset(database, "ann@example.com", now=start + timedelta(minutes=61))
    assert len(await mails_to(database, "ann@example.com")) == 2


async def test_verification_mails_are_capped_at_three_an_hour_counting_sign_up(database):
    user = await make_user(database, email="ann@example.com")
    async with database.sessionmaker() as db:
        viewer = await db.get(User, user.id)

    def resend(unit):
        return email_flows.request_email_verification(unit, policy=POLICY, viewer=viewer, email=None, client=CLIENT)

    for _ in range(3):
        assert await rejected_codes(database, resend) == []
    assert await rejected_codes(database, resend) == ["RATE_LIMITED"]
    # Anonymous resends by email answer ok, and send nothing past the cap.
    await in_unit(database, lambda unit: email_flows.request_email_verification(
        unit, policy=POLICY, viewer=None, email=user.email, client=CLIENT))
    assert len(await mails_to(database, user.email)) == 3


async def test_a_rolled_back_operation_leaves_no_message_and_no_token(database):
    from db.models import LinkToken

    await make_user(database, email="ann@example.com")
    await in_unit(database, lambda unit: email_flows.request_password_reset(
        unit, policy=POLICY, email="ann@example.com", client=CLIENT), commit=False)
    async with database.sessionmaker() as db:
        assert (await db.scalars(select(OutboxMessage))).all() == []
        assert (await db.scalars(select(LinkToken))).all() == []


async def test_a_sent_message_keeps_no_link_token_in_the_database(database, smtp_server):
    from api.mail.transport import SmtpConfig, SmtpTransport
    from api.mail.worker import DeliveryWorker

    user = await make_user(database, email="ann@example.com")
    token = await reset_token(database, user.email)
    worker = DeliveryWorker(database, SmtpTransport(SmtpConfig.from_url(smtp_server.url, timeout=5)))
    assert await worker.deliver_due() == 1
    [mail] = await mails_to(database, user.email)
    assert mail.sent_at is not None and token not in mail.content and "Message-ID" in mail.content
    assert smtp_server.inbox.to(user.email)[0].token("/reset-password") == token


async def test_concurrent_reset_requests_for_one_email_send_at_most_three_mails(database):
    user = await make_user(database, email="ann@example.com")
    clients = [Client(ip_address=f"198.51.100.{number}") for number in range(12)]
    await asyncio.gather(*(request_reset(database, user.email, client=client) for client in clients))
    # Requests in flight count each other (docs/security.md), so a burst may send fewer, never more.
    assert len(await mails_to(database, user.email)) <= 3
    for client in clients:  # one at a time, the cap fills up exactly
        await request_reset(database, user.email, client=client)
    assert len(await mails_to(database, user.email)) == 3


async def test_refused_link_tokens_are_limited_per_client_ip(database):
    user = await make_user(database, email="ann@example.com")
    token = await reset_token(database, user.email)
    for number in range(POLICY.token_failures_per_ip):
        assert await rejected_codes(database, verify(f"guess-{number:02d}-" + "x" * 30)) == ["INVALID_TOKEN"]
    assert await rejected_codes(database, reset(token)) == ["RATE_LIMITED"]  # refused before any check
    later = utcnow() + POLICY.token_failure_window + timedelta(minutes=1)  # the failures' window is over
    assert await rejected_codes(database, reset(token, now=later)) == []
