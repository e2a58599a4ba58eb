"""A real SMTP server for the tests (aiosmtpd on a free port, in a thread of its own) and helpers that read
what it received as a mail client would: the message's bytes, its text part, the link in it."""

from __future__ import annotations

import asyncio
import email
import email.policy
import re
import threading
from dataclasses import dataclass, field
from datetime import timedelta
from email.message import EmailMessage
from urllib.parse import parse_qs, urlsplit

from aiosmtpd.controller import Controller

from api.mail.transport import SmtpConfig, SmtpTransport
from api.mail.worker import DeliveryWorker

from tests.support.server import free_port

APP_URL = "http://localhost:3000"


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes

    @property
    def message(self) -> EmailMessage:
        # As text: headers may be UTF-8 (RFC 6532), which the bytes parser would leave as surrogates.
        return email.message_from_string(self.content.decode("utf-8"), policy=email.policy.default)

    @property
    def to(self) -> str:
        return self.rcpt_tos[0]

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])

    @property
    def text(self) -> str:
        return self.message.get_body(("plain",)).get_content()

    @property
    def html(self) -> str:
        return self.message.get_body(("html",)).get_content()

    def link(self, route: str) -> str:
        """The line of the text part that is the link to `route` (a link stands alone on its line)."""
        lines = [line for line in self.text.splitlines() if line.startswith(f"{APP_URL}{route}?")]
        assert len(lines) == 1, self.text
        return lines[0]

    def token(self, route: str) -> str:
        return parse_qs(urlsplit(self.link(route)).query)["token"][0]


@dataclass
class Inbox:
    """What the server accepted; `refuse` holds recipients it answers 550 for."""

    received: list[Received] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)
    changed: threading.Condition = field(default_factory=threading.Condition)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.changed:
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
            self.changed.notify_all()
        return "250 Message accepted for delivery"

    def to(self, address: str, subject: str = "") -> list[Received]:
        """Messages to `address` whose subject starts with `subject`, oldest first."""
        return [mail for mail in self.received if address in mail.rcpt_tos and mail.subject.startswith(subject)]

    async def wait_for(self, address: str, count: int = 1, *, subject: str = "", within: float = 20.0) -> list[Received]:
        """The messages to `address` (whose subject starts so) once there are `count` (a wait, not an
        assertion on time: the generous bound only stops a broken test from hanging)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while len(self.to(address, subject)) < count:
            if loop.time() > deadline:
                raise AssertionError(f"{count} message(s) to {address} never arrived; got {self.received!r}")
            await asyncio.sleep(0.02)
        return self.to(address, subject)

    async def token(self, address: str, subject: str, route: str, *, nth: int = 1) -> str:
        """The token of the link in the `nth` message to `address` whose subject starts so."""
        return (await self.wait_for(address, nth, subject=subject))[nth - 1].token(route)


class SmtpServer:
    """aiosmtpd's Controller on a fixed free port, which can be stopped and started again (the mail
    server goes down and comes back)."""

    def __init__(self, *, smtputf8: bool = True) -> None:
        self.smtputf8 = smtputf8  # offers SMTPUTF8 (non-ASCII addresses), as current Postfix and Exim do
        self.inbox = Inbox()
        self.port = free_port()
        self._controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._controller = Controller(
            self.inbox, hostname="127.0.0.1", port=self.port, enable_SMTPUTF8=self.smtputf8
        )
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


def text_of(content: str) -> str:
    return email.message_from_string(content, policy=email.policy.default).get_body(("plain",)).get_content()


TOKEN_IN_LINK = re.compile(r"\?token=([A-Za-z0-9_-]+)")


def worker_for(database, smtp_server: SmtpServer, **kwargs) -> DeliveryWorker:
    """A delivery worker sending to `smtp_server`, driven by the test (`deliver_due`)."""
    transport = SmtpTransport(SmtpConfig.from_url(smtp_server.url, timeout=5))
    return DeliveryWorker(database, transport, lease=timedelta(minutes=5), retry_base=timedelta(seconds=30), **kwargs)


async def notices_to(database, address: str, subject: str | None = None) -> int:
    """Outbox messages to `address`, sign-up's verification link left out (a link, under its own cap)."""
    from sqlalchemy import func, select

    from db.models import OutboxMessage

    statement = select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.recipient == address, OutboxMessage.subject != "Verify your email address for usergraph"
    )
    if subject is not None:
        statement = statement.where(OutboxMessage.subject == subject)
    async with database.sessionmaker() as db:
        return await db.scalar(statement)
