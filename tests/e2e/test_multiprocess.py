"""Two `usergraph serve` processes on one database (PostgreSQL: a fresh database; SQLite: one file
shared by both) behave as one API: a session made through one works on the other, a revocation
through one is refused by the other on its very next request, and the sign-in rate limit counted
through one holds on the other. Nothing about sessions or limits may live only in a process."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import ExitStack

import httpx
import pytest

from tests.support.auth import PASSWORD, SIGN_IN, SIGN_UP
from tests.support.databases import create_test_database, drop_test_database
from tests.support.server import running_server

VIEWER = "{ viewer { email } }"
REVOKE_OTHERS = "mutation { revokeOtherSessions { revokedCount errors { code } } }"
SIGN_OUT = "mutation { signOut { session { status } errors { code } } }"


@pytest.fixture(scope="module")
def two_servers(tmp_path_factory, database_url) -> Iterator[tuple[str, str]]:
    folder = tmp_path_factory.mktemp("multiprocess")
    if database_url.startswith("postgresql"):
        url = create_test_database(database_url, f"usergraph_multi_{secrets.token_hex(4)}")
    else:
        url = f"sqlite+aiosqlite:///{folder / 'shared.db'}"
    try:
        with ExitStack() as stack:
            env = {"DATABASE_URL": url, "LOG_FORMAT": "json"}
            first = stack.enter_context(running_server(env, tmp_path=folder))  # migrates
            second = stack.enter_context(running_server(env, "--no-migrate", tmp_path=folder))
            yield first.base_url, second.base_url
    finally:
        if url.startswith("postgresql"):
            drop_test_database(url)


def gql(base_url: str, query: str, variables: dict | None = None, token: str | None = None) -> dict:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    reply = httpx.post(f"{base_url}/graphql", json={"query": query, "variables": variables or {}}, headers=headers, timeout=30)
    assert reply.status_code == 200, reply.text
    return reply.json()


def sign_up(base_url: str, email: str) -> str:
    payload = gql(base_url, SIGN_UP, {"input": {"email": email, "password": PASSWORD, "name": "Ann"}})["data"]["signUp"]
    assert payload["errors"] == [] and payload["token"], payload
    return payload["token"]


def sign_in(base_url: str, email: str, password: str = PASSWORD) -> dict:
    return gql(base_url, SIGN_IN, {"input": {"email": email, "password": password}})["data"]["signIn"]


def viewer(base_url: str, token: str) -> dict | None:
    return gql(base_url, VIEWER, token=token)["data"]["viewer"]


def test_sessions_and_sign_out_hold_across_processes(two_servers):
    a, b = two_servers
    email = f"ann-{secrets.token_hex(3)}@example.com"
    token = sign_up(a, email)
    assert viewer(b, token) == {"email": email}  # made by one process, accepted by the other
    assert viewer(a, token) == {"email": email}
    signed_out = gql(b, SIGN_OUT, token=token)["data"]["signOut"]
    assert signed_out == {"session": {"status": "REVOKED"}, "errors": []}
    assert viewer(a, token) is None  # the next request to the other process is anonymous
    assert viewer(b, token) is None


def test_revoking_other_sessions_through_one_process_is_seen_by_the_other(two_servers):
    a, b = two_servers
    email = f"bob-{secrets.token_hex(3)}@example.com"
    laptop = sign_up(a, email)
    phone = sign_in(b, email)["token"]
    assert viewer(a, phone) == viewer(b, laptop) == {"email": email}  # each process has used both
    assert gql(b, REVOKE_OTHERS, token=laptop)["data"]["revokeOtherSessions"] == {"revokedCount": 1, "errors": []}
    assert viewer(a, phone) is None
    assert viewer(a, laptop) == {"email": email}


def test_the_sign_in_rate_limit_reached_through_one_process_holds_on_the_other(two_servers):
    a, b = two_servers
    email = f"cat-{secrets.token_hex(3)}@example.com"
    sign_up(b, email)
    for _attempt in range(5):  # the per-email-and-IP limit (default 5 in 15 minutes), all through `a`
        assert [e["code"] for e in sign_in(a, email, "wrong password!")["errors"]] == ["INVALID_CREDENTIALS"]
    # Even the right password is refused now, through either process, without being checked.
    assert [e["code"] for e in sign_in(b, email)["errors"]] == ["RATE_LIMITED"]
    assert [e["code"] for e in sign_in(a, email)["errors"]] == ["RATE_LIMITED"]


RESET_REQUEST = "mutation ($e: String!) { requestPasswordReset(input: {email: $e}) { ok errors { code } } }"


def test_the_reset_request_limit_counted_through_one_process_holds_on_the_other(two_servers):
    first, second = two_servers
    for number in range(10):  # the per-IP limit, for unknown emails alike, half through each process
        base_url = first if number % 2 else second
        answer = gql(base_url, RESET_REQUEST, {"e": f"reset{number}@example.com"})["data"]["requestPasswordReset"]
        assert answer == {"ok": True, "errors": []}
    for base_url in (first, second):
        answer = gql(base_url, RESET_REQUEST, {"e": "reset0@example.com"})["data"]["requestPasswordReset"]
        assert answer == {"ok": False, "errors": [{"code": "RATE_LIMITED"}]}
