"""Two-factor across real `usergraph serve` processes: two of them on one database (a fresh PostgreSQL
database, or one SQLite file) share the challenge, the used codes and the sign-in limits; and a
development server with no SECRET_KEY generates one key, in its parent process, that all its workers use.
Codes are computed from the real clock here (the servers' own), which the drift window makes safe."""

from __future__ import annotations

import secrets
import stat
import time
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime

import pyotp
import pytest

from api.secret_key import KEY_FILE_NAME
from tests.e2e.test_multiprocess import gql, sign_in, sign_up
from tests.support.auth import PASSWORD
from tests.support.databases import create_test_database, drop_test_database
from tests.support.server import running_server
from tests.support.two_factor import BEGIN, CONFIRM, SIGN_IN_2FA, VERIFY, wrong_code


@pytest.fixture(scope="module")
def two_servers(tmp_path_factory, database_url) -> Iterator[tuple[str, str]]:
    folder = tmp_path_factory.mktemp("two-factor-processes")
    if database_url.startswith("postgresql"):
        url = create_test_database(database_url, f"usergraph_2fa_{secrets.token_hex(4)}")
    else:
        url = f"sqlite+aiosqlite:///{folder / 'shared.db'}"
    try:
        with ExitStack() as stack:
            env = {"DATABASE_URL": url}
            first = stack.enter_context(running_server(env, tmp_path=folder))  # migrates
            second = stack.enter_context(running_server(env, "--no-migrate", tmp_path=folder))
            yield first.base_url, second.base_url
    finally:
        if url.startswith("postgresql"):
            drop_test_database(url)


def turn_on(base_url: str, email: str) -> pyotp.TOTP:
    token = sign_up(base_url, email)
    begun = gql(base_url, BEGIN, {"password": PASSWORD}, token=token)["data"]["beginTwoFactorSetup"]
    totp = pyotp.TOTP(begun["secret"])
    confirmed = gql(base_url, CONFIRM, {"code": totp.now()}, token=token)["data"]["confirmTwoFactorSetup"]
    assert confirmed["errors"] == [], confirmed
    return totp


def challenge(base_url: str, email: str) -> str:
    payload = gql(base_url, SIGN_IN_2FA, {"input": {"email": email, "password": PASSWORD}})["data"]["signIn"]
    assert payload["token"] is None and payload["twoFactorChallenge"], payload
    return payload["twoFactorChallenge"]


def verify(base_url: str, challenge_token: str, code: str) -> dict:
    return gql(base_url, VERIFY, {"challenge": challenge_token, "code": code})["data"]["verifyTwoFactor"]


def error_codes(payload: dict) -> list[str]:
    return [error["code"] for error in payload["errors"]]


def test_a_challenge_from_one_process_completes_on_the_other_and_its_code_is_spent_on_both(two_servers):
    a, b = two_servers
    email = f"ann-{secrets.token_hex(3)}@example.com"
    totp = turn_on(a, email)
    next_code = totp.at(time.time() + 30)  # the step after the confirming one: within the drift window
    done = verify(b, challenge(a, email), next_code)
    assert done["errors"] == [] and done["token"]
    assert error_codes(verify(a, challenge(b, email), next_code)) == ["INVALID_CODE"]


def test_wrong_codes_through_both_processes_reach_one_sign_in_limit(two_servers):
    a, b = two_servers
    email = f"bob-{secrets.token_hex(3)}@example.com"
    totp = turn_on(a, email)
    wrong = wrong_code(totp.secret, datetime.now(UTC))
    first = challenge(a, email)
    for server in (a, b, a, b):
        assert error_codes(verify(server, first, wrong)) == ["INVALID_CODE"]
    second = challenge(b, email)  # the right password is no failure: four so far
    assert error_codes(verify(a, second, wrong)) == ["INVALID_CODE"]  # the fifth
    for server in (a, b):
        limited = verify(server, second, totp.at(time.time() + 30))
        assert error_codes(limited) == ["RATE_LIMITED"] and limited["token"] is None
        assert error_codes(sign_in(server, email)) == ["RATE_LIMITED"]


def test_a_development_server_without_secret_key_makes_one_key_for_all_its_workers(tmp_path):
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'dev.db'}", "SECRET_KEY": ""}
    with running_server(env, "--workers", "2", tmp_path=tmp_path) as server:
        key_file = tmp_path / KEY_FILE_NAME
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        email = "dev@example.com"
        totp = turn_on(server.base_url, email)
        # Set-ups whose two requests may reach different workers: each must decrypt what the other encrypted.
        for _ in range(6):
            token = sign_up(server.base_url, f"x-{secrets.token_hex(3)}@example.com")
            begun = gql(server.base_url, BEGIN, {"password": PASSWORD}, token=token)["data"]["beginTwoFactorSetup"]
            confirmed = gql(server.base_url, CONFIRM, {"code": pyotp.TOTP(begun["secret"]).now()}, token=token)
            assert confirmed["data"]["confirmTwoFactorSetup"]["errors"] == [], confirmed
        done = verify(server.base_url, challenge(server.base_url, email), totp.at(time.time() + 30))
        assert done["errors"] == [] and done["token"]
        assert "Traceback" not in server.log()
    assert key_file.read_text().strip()  # kept for the next start
