"""`usergraph send-test-email --to ADDRESS`: one message straight through the configured SMTP server (not
the outbox), to check SMTP_URL and MAIL_FROM."""

from __future__ import annotations

import argparse
import asyncio

from api.cli.errors import CommandError, first_line
from api.settings import Settings


def cmd_send_test_email(args: argparse.Namespace, settings: Settings) -> None:
    from email_validator import EmailNotValidError, validate_email

    from api.mail.transport import SmtpConfig, SmtpTransport
    from db.services.mail_messages import Kind, MailPolicy, render

    if not settings.smtp_url:
        raise CommandError("SMTP_URL is not set (mail goes to the log); set it to the server to check")
    try:
        recipient = validate_email(args.to.strip(), check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise CommandError(f"invalid --to address: {error}") from None
    try:
        config = SmtpConfig.from_url(settings.smtp_url, timeout=settings.smtp_timeout_seconds)
    except ValueError as error:
        raise CommandError(str(error)) from None
    policy = MailPolicy(app_url=settings.app_url, app_name=settings.app_name, mail_from=settings.mail_from)
    mail = render(policy, Kind.TEST, to=recipient)
    try:
        asyncio.run(SmtpTransport(config).send(sender=mail.sender, recipient=recipient, content=mail.content))
    except Exception as error:  # noqa: BLE001 - refused, unreachable, TLS or authentication: one line
        raise CommandError(
            f"could not send through {config.hostname}:{config.port}: {type(error).__name__}: {first_line(error)}"
        ) from None
    print(f"sent a test message to {recipient} through {config.hostname}:{config.port} ({mail.message_id})")


def add_commands(commands: argparse._SubParsersAction) -> None:
    test = commands.add_parser("send-test-email", help="send one message through SMTP_URL to check the mail settings")
    test.add_argument("--to", required=True, metavar="ADDRESS", help="where to send it")
    test.set_defaults(handler=cmd_send_test_email)
