"""Where mail goes: an SMTP server (aiosmtplib) from `SMTP_URL`, or the log (development).

`SMTP_URL`: `smtp://[user:pass@]host[:port][?starttls=true|false]` (port 587 with STARTTLS, else 25;
without `starttls`, STARTTLS is used when the server offers it) or `smtps://[user:pass@]host[:port]`
(implicit TLS, port 465). User and password are URL-decoded.
"""

from __future__ import annotations

import email
import email.policy
import logging
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib

from api.settings import Settings

log = logging.getLogger("usergraph.mail")
_TRUE, _FALSE = {"true", "1", "yes", "on"}, {"false", "0", "no", "off"}


class PermanentFailure(Exception):
    """The server refused the message for good (a 5xx reply): trying again would not help."""


class Transport(Protocol):
    async def send(self, *, sender: str, recipient: str, content: str) -> None: ...


@dataclass(frozen=True)
class SmtpConfig:
    hostname: str
    port: int
    username: str | None
    password: str | None
    use_tls: bool  # implicit TLS (smtps://)
    start_tls: bool | None  # None: when the server offers it
    timeout: float

    @classmethod
    def from_url(cls, url: str, *, timeout: float) -> SmtpConfig:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps"):
            raise ValueError(f"SMTP_URL must start with smtp:// or smtps://, not {parts.scheme or 'nothing'}://")
        if not parts.hostname:
            raise ValueError("SMTP_URL has no host")
        starttls_values = parse_qs(parts.query).get("starttls")
        start_tls: bool | None = None
        if starttls_values:
            value = starttls_values[-1].lower()
            if value not in _TRUE | _FALSE:
                raise ValueError(f"SMTP_URL: starttls must be true or false, not {value!r}")
            start_tls = value in _TRUE
        use_tls = parts.scheme == "smtps"
        if use_tls and start_tls:
            raise ValueError("SMTP_URL: smtps:// is implicit TLS; starttls=true is for smtp://")
        try:
            port = parts.port or (465 if use_tls else 587 if start_tls else 25)
        except ValueError:
            raise ValueError("SMTP_URL has an invalid port") from None
        return cls(
            hostname=parts.hostname, port=port,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            use_tls=use_tls, start_tls=False if use_tls else start_tls, timeout=timeout,
        )


class SmtpTransport:
    def __init__(self, config: SmtpConfig) -> None:
        self.config = config

    async def send(self, *, sender: str, recipient: str, content: str) -> None:
        config = self.config
        # A non-ASCII address (a local part like `ünal@`) needs the server's SMTPUTF8; one that lacks it
        # will not take the message on any later try either.
        utf8 = not (sender.isascii() and recipient.isascii())
        try:
            await aiosmtplib.send(
                content.encode(), sender=sender, recipients=[recipient], mail_options=["SMTPUTF8"] if utf8 else [],
                hostname=config.hostname, port=config.port, username=config.username, password=config.password,
                use_tls=config.use_tls, start_tls=config.start_tls, timeout=config.timeout,
            )
        except aiosmtplib.SMTPNotSupported as error:
            raise PermanentFailure(str(error)) from error
        except aiosmtplib.SMTPRecipientsRefused as error:
            if all(500 <= refusal.code < 600 for refusal in error.recipients):
                raise PermanentFailure(str(error)) from error
            raise
        except aiosmtplib.SMTPResponseException as error:
            if 500 <= error.code < 600 and not isinstance(error, aiosmtplib.SMTPAuthenticationError):
                raise PermanentFailure(f"{error.code} {error.message}") from error
            raise


class LogTransport:
    """Development without a mail server: each message's text part (its link included) goes to the log."""

    async def send(self, *, sender: str, recipient: str, content: str) -> None:
        message = email.message_from_string(content, policy=email.policy.default)
        body = message.get_body(("plain",))
        text = body.get_content() if body is not None else content
        log.info("mail to %s (MAIL_BACKEND=log): %s\n%s", recipient, message["Subject"], text)


def transport_from_settings(settings: Settings) -> Transport:
    """The configured transport; ValueError for settings that cannot deliver (see Settings)."""
    if settings.resolved_mail_backend == "log":
        return LogTransport()
    assert settings.smtp_url is not None
    return SmtpTransport(SmtpConfig.from_url(settings.smtp_url, timeout=settings.smtp_timeout_seconds))
