"""End to end: the real `usergraph serve` process delivers a reset mail to a real SMTP server, and the
link in it resets the password."""

from __future__ import annotations

import os
import subprocess

import httpx

from tests.support.auth import PASSWORD
from tests.support.server import ROOT, running_server, usergraph_command

RESET_REQUEST = 'mutation { requestPasswordReset(input: {email: "ann@example.com"}) { ok } }'


async def test_serve_delivers_a_reset_link_that_works(tmp_path, database_url, smtp_server):
    url = database_url if database_url.startswith("postgresql") else f"sqlite+aiosqlite:///{tmp_path}/e2e.db"
    env = {"DATABASE_URL": url, "SMTP_URL": smtp_server.url, "MAIL_BACKEND": "smtp", "APP_URL": "http://localhost:3000"}
    with running_server(env, tmp_path=tmp_path) as server:
        with httpx.Client(base_url=server.base_url, timeout=30) as client:
            signed_up = client.post("/graphql", json={"query": (
                'mutation { signUp(input: {email: "ann@example.com", password: "%s", name: "Ann"}) { token } }'
                % PASSWORD
            )}).json()
            assert signed_up["data"]["signUp"]["token"]
            assert client.post("/graphql", json={"query": RESET_REQUEST}).json() == {
                "data": {"requestPasswordReset": {"ok": True}}
            }
            mails = await smtp_server.inbox.wait_for("ann@example.com", 2, within=60)
            [mail] = [m for m in mails if m.subject.startswith("Reset")]
            reset = client.post("/graphql", json={
                "query": "mutation ($t: String!) { resetPassword(input: {token: $t, newPassword: "
                         "\"purple elephant dancing quietly\"}) { ok errors { code } } }",
                "variables": {"t": mail.token("/reset-password")},
            }).json()
            assert reset == {"data": {"resetPassword": {"ok": True, "errors": []}}}
            signed_in = client.post("/graphql", json={"query": (
                'mutation { signIn(input: {email: "ann@example.com", password: "purple elephant dancing quietly"}) '
                "{ token } }"
            )}).json()
            assert signed_in["data"]["signIn"]["token"]


def test_serve_in_production_without_smtp_url_stops_with_one_line(tmp_path):
    env = {"ENVIRONMENT": "production", "SMTP_URL": "", "MAIL_BACKEND": ""}
    result = subprocess.run(usergraph_command("serve", "--port", "1"), env={**os.environ, **env, "PYTHONPATH": str(ROOT)},
                            capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "usergraph serve: SMTP_URL is not set: set it, or MAIL_BACKEND=log to write mail to the log on purpose"
    )
