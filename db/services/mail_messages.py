"""The messages the email flows and the security notices send, rendered from the Jinja2 templates in
`mail_templates/`: a plain-text part (a link alone on its line), an HTML part, a subject naming the app,
and a stable Message-ID. `queue` stores one in the outbox, in the caller's transaction."""

from __future__ import annotations

import email.policy
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses, make_msgid
from enum import StrEnum
from pathlib import Path
from urllib.parse import urlencode

from email_validator import EmailNotValidError, validate_email
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlalchemy.ext.asyncio import AsyncSession

from db.services import rate_limit
from db.services.outbox import Mail, enqueue
from db.types import utcnow

log = logging.getLogger("usergraph.mail")
_templates = Environment(
    loader=FileSystemLoader(Path(__file__).with_name("mail_templates")),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    keep_trailing_newline=True,
)


@dataclass(frozen=True)
class MailPolicy:
    """Who mail comes from and where its links point; built from the settings."""

    app_url: str  # the frontend's base URL
    app_name: str
    mail_from: str  # `Name <address>` or a bare address
    # Security notices to one address in an hour; past it they are dropped (the events still record
    # what happened). A script changing its own account's settings, with an address it typed in and
    # never verified, could otherwise mail someone else without end.
    notices_per_address_per_hour: int = 10

    def link(self, route: str, token: str) -> str:
        return f"{self.app_url.rstrip('/')}{route}?{urlencode({'token': token})}"


class Kind(StrEnum):
    """A message and its templates `<kind>.txt` and `<kind>.html`."""

    RESET_PASSWORD = "reset_password"
    VERIFY_EMAIL = "verify_email"
    CONFIRM_EMAIL_CHANGE = "confirm_email_change"
    PASSWORD_CHANGED = "password_changed"
    EMAIL_CHANGE_REQUESTED = "email_change_requested"
    EMAIL_CHANGED = "email_changed"
    TWO_FACTOR_ENABLED = "two_factor_enabled"
    TWO_FACTOR_DISABLED = "two_factor_disabled"
    RECOVERY_CODES_REGENERATED = "recovery_codes_regenerated"
    RECOVERY_CODE_USED = "recovery_code_used"
    TEST = "test"


SUBJECTS = {
    Kind.RESET_PASSWORD: "Reset your {app} password",
    Kind.VERIFY_EMAIL: "Verify your email address for {app}",
    Kind.CONFIRM_EMAIL_CHANGE: "Confirm your new email address for {app}",
    Kind.PASSWORD_CHANGED: "Your {app} password was changed",
    Kind.EMAIL_CHANGE_REQUESTED: "A change of your {app} email address was requested",
    Kind.EMAIL_CHANGED: "Your {app} email address was changed",
    Kind.TWO_FACTOR_ENABLED: "Two-factor sign-in is on for your {app} account",
    Kind.TWO_FACTOR_DISABLED: "Two-factor sign-in is off for your {app} account",
    Kind.RECOVERY_CODES_REGENERATED: "New recovery codes for your {app} account",
    Kind.RECOVERY_CODE_USED: "A recovery code was used to sign in to your {app} account",
    Kind.TEST: "{app} test message",
}


def envelope_sender(mail_from: str) -> str:
    """The bare address of `MAIL_FROM` (`Name <a@b>` → `a@b`), as `deliverable_address` writes it."""
    return deliverable_address(getaddresses([mail_from])[0][1] or mail_from)


def _from_header(mail_from: str) -> str | Address:
    """`MAIL_FROM` with its address as `deliverable_address` writes it (the display name may be any text)."""
    name, address = getaddresses([mail_from])[0]
    if not address:
        return mail_from
    return Address(display_name=name, addr_spec=deliverable_address(address))


def deliverable_address(address: str) -> str:
    """The address as an envelope and a `To` header take it: an internationalised domain in its ASCII
    (IDNA) form, so that only a non-ASCII local part needs the server's SMTPUTF8. Without this Python's
    email package writes such an address as RFC 2047 words (`=?utf-8?q?...?=@...`), which no server
    delivers."""
    try:
        checked = validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        return address
    return checked.ascii_email or f"{checked.local_part}@{checked.ascii_domain}"


def render(policy: MailPolicy, kind: Kind, *, to: str, now: datetime | None = None, **values: object) -> Mail:
    """The whole message, as it will be sent whenever the outbox gets to it. A recipient whose local part
    is not ASCII gets its headers in UTF-8 (RFC 6532), sent with SMTPUTF8 (api/mail/transport.py)."""
    values = {"app_name": policy.app_name, "app_url": policy.app_url, **values}
    to = deliverable_address(to)
    subject = SUBJECTS[kind].format(app=policy.app_name)
    sender = envelope_sender(policy.mail_from)
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = _from_header(policy.mail_from)
    message["To"] = to
    message["Date"] = format_datetime(now or utcnow())
    message["Message-ID"] = make_msgid(domain=_domain(sender))
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(_templates.get_template(f"{kind.value}.txt").render(values))
    message.add_alternative(_templates.get_template(f"{kind.value}.html").render(values), subtype="html")
    policy_of_headers = email.policy.default if to.isascii() else email.policy.default.clone(utf8=True)
    return Mail(
        message_id=message["Message-ID"], sender=sender, recipient=to, subject=subject,
        content=message.as_string(policy=policy_of_headers),
    )


async def queue(
    db: AsyncSession, policy: MailPolicy, kind: Kind, *, to: str, now: datetime | None = None, **values: object
) -> None:
    """Render a message and store it in the outbox in the caller's transaction: it goes out only if that
    transaction commits."""
    await enqueue(db, render(policy, kind, to=to, now=now, **values), now=now)


NOTICES = frozenset({Kind.PASSWORD_CHANGED, Kind.EMAIL_CHANGED, Kind.TWO_FACTOR_ENABLED, Kind.TWO_FACTOR_DISABLED,
                     Kind.RECOVERY_CODES_REGENERATED, Kind.RECOVERY_CODE_USED})


def _counted_as(kind: Kind) -> str:
    return f"mail:{kind.value}"  # the limiter's `action` (attempts.action, at most 32 characters)


_NOTICE_ACTIONS = tuple(_counted_as(notice) for notice in NOTICES)


async def queue_notice(
    db: AsyncSession, policy: MailPolicy, kind: Kind, *, to: str, now: datetime | None = None, **values: object
) -> bool:
    """`queue` for a security notice (no link), within the hourly cap per address; False when the cap
    dropped it. The first notice of each kind in the hour always goes: whoever holds the password cannot
    use up the cap with one kind (recovery codes) to hide another (the password or the email changed).
    The count is part of the caller's transaction: a change rolled back counts nothing."""
    now = now or utcnow()
    if not await rate_limit.count_with_change(
        db, action=_counted_as(kind), email=to, limit=policy.notices_per_address_per_hour,
        window=timedelta(hours=1), shared=_NOTICE_ACTIONS, now=now,
    ):
        log.warning("security notice %s not sent: %d notices to this address in the past hour", kind.value,
                    policy.notices_per_address_per_hour)
        return False
    await queue(db, policy, kind, to=to, now=now, **values)
    return True


def _domain(address: str) -> str:
    try:
        return Address(addr_spec=address).domain or "localhost"
    except (ValueError, IndexError):
        return "localhost"
