"""Mail settings: SMTP_URL's forms, development's log backend (a working reset flow with no mail server),
and production refusing to start without a way to send mail."""

from __future__ import annotations

import asyncio
import logging

import pytest

from api.mail.transport import LogTransport, SmtpConfig, SmtpTransport, transport_from_settings
from api.settings import Settings
from tests.support.auth import sign_up
from tests.support.email_flows import NEW_PASSWORD, request_reset, reset
from tests.support.mail import TOKEN_IN_LINK


@pytest.mark.parametrize("url, expected", [
    ("smtp://mail.example.com", ("mail.example.com", 25, None, None, False, None)),
    ("smtp://u%40x:p%2Fw@mail.example.com:587?starttls=true", ("mail.example.com", 587, "u@x", "p/w", False, True)),
    ("smtp://mail.example.com?starttls=false", ("mail.example.com", 25, None, None, False, False)),
    ("smtps://user:secret@mail.example.com", ("mail.example.com", 465, "user", "secret", True, False)),
])
def test_smtp_urls(url, expected):
    config = SmtpConfig.from_url(url, timeout=5)
    assert (config.hostname, config.port, config.username, config.password, config.use_tls, config.start_tls) == expected


@pytest.mark.parametrize("url", ["http://mail.example.com", "smtp://", "smtps://h?starttls=true", "smtp://h?starttls=maybe"])
def test_malformed_smtp_urls_are_refused(url):
    with pytest.raises(ValueError):
        SmtpConfig.from_url(url, timeout=5)


def test_which_backend_delivers():
    assert isinstance(transport_from_settings(Settings(mail_backend=None)), LogTransport)
    assert isinstance(transport_from_settings(Settings(mail_backend=None, smtp_url="smtp://h")), SmtpTransport)
    assert isinstance(transport_from_settings(Settings(environment="production", mail_backend="log")), LogTransport)
    with pytest.raises(ValueError, match="SMTP_URL is not set"):
        transport_from_settings(Settings(environment="production", mail_backend=None))


async def test_production_without_smtp_url_does_not_start(make_client):
    with pytest.raises(ValueError, match="SMTP_URL is not set"):
        async with make_client(environment="production", mail_backend=None):
            pass


async def test_without_smtp_url_in_development_the_link_goes_to_the_log(make_client, caplog):
    caplog.set_level(logging.INFO, logger="usergraph.mail")
    async with make_client(mail_backend=None, smtp_url=None) as client:
        await sign_up(client, email="ann@example.com")
        await request_reset(client, "ann@example.com")
        for _ in range(500):
            logged = [r.getMessage() for r in caplog.records if "/reset-password?token=" in r.getMessage()]
            if logged:
                break
            await asyncio.sleep(0.02)
        [line] = logged
        assert "mail to ann@example.com" in line and "http://localhost:3000/reset-password?token=" in line
        assert (await reset(client, TOKEN_IN_LINK.search(line).group(1))) == {"ok": True, "errors": []}
    assert NEW_PASSWORD not in caplog.text
