"""Findings of an adversarial review (branch `attack`): each test asserts what the contract promises and
fails on the code as it stood when the review was made."""

from __future__ import annotations

import asyncio
import threading

import pytest

import db.services.passwords as passwords_module
from schema.relay import to_global_id
from tests.support.auth import VIEWER
from tests.support.factories import make_user, signed_in_admin

STRONG = "correct horse battery staple"
PROMPTLY = 3  # seconds: a liveness bound, not a speed target

CREATE_USER = """mutation($input: CreateUserInput!) { createUser(input: $input) { user { id } errors { code } } }"""
UPDATE_USER = """mutation($id: ID!, $input: UpdateUserInput!) { updateUser(id: $id, input: $input) { user { id } errors { code } } }"""


class _SlowHash:
    """Replaces the hashing function run in the hashing threads: it blocks until released, so a test can
    look at what the flow holds while it hashes."""

    def __init__(self, real):
        self.real = real
        self.started = threading.Event()
        self.release = threading.Event()

    def __call__(self, password, params):
        self.started.set()
        self.release.wait(30)
        return self.real(password, params)


async def _until_blocked(slow, task: asyncio.Task) -> None:
    """Wait until `task` is inside the blocked password step of `slow` (failing if it ended before)."""
    while not slow.started.is_set():
        assert not task.done(), task.result()
        await asyncio.sleep(0.01)


async def _while_hashing(client, slow: _SlowHash, query: str, variables: dict, token: str):
    """Run the operation and, while its hash is blocked, read what the pool has checked out and try a
    viewer query; returns (the operation's answer, connections checked out, the viewer's answer or None)."""
    task = asyncio.create_task(client.gql(query, variables, token=token))
    try:
        await _until_blocked(slow, task)
        checked_out = client.app.state.database.engine.pool.checkedout()
        viewer = None
        try:
            viewer = await asyncio.wait_for(client.gql(VIEWER, token=token), timeout=PROMPTLY)
        except TimeoutError:
            pass
    finally:
        slow.release.set()
        result = await task
    return result, checked_out, viewer


@pytest.mark.parametrize("mutation", ["createUser", "updateUser"])
async def test_admin_password_hashing_holds_no_pooled_connection(make_client, database, monkeypatch, mutation):
    """Contract, Protection: "Waiting for a password hash never holds a database connection; a burst of
    password flows cannot starve other requests of connections." createUser and updateUser(password:)
    hash inside `async with context.db()` after require_admin opened the operation's session, so the
    operation's pooled connection stays checked out for the whole hash (and no hashing slot is taken).
    With a pool of one connection, every other request waits for the pool meanwhile."""
    slow = _SlowHash(passwords_module.hash_password_sync)
    monkeypatch.setattr(passwords_module, "hash_password_sync", slow)
    admin, admin_token = await signed_in_admin(database)
    target = await make_user(database, email="target@example.com")
    if mutation == "createUser":
        query, variables = CREATE_USER, {"input": {"email": "new@example.com", "name": "Nia", "password": STRONG}}
    else:
        query, variables = UPDATE_USER, {"id": to_global_id("User", target.id), "input": {"password": STRONG}}
    async with make_client(pool_size=1, max_overflow=0, pool_timeout=PROMPTLY + 2) as client:
        result, checked_out, viewer = await _while_hashing(client, slow, query, variables, admin_token)
        assert result["data"][mutation]["errors"] == []
        assert checked_out == 0, f"{checked_out} pooled connection(s) held while hashing"
        assert viewer is not None and viewer["data"]["viewer"]["email"] == admin.email


# zxcvbn's l33t matcher enumerates every combination of substitutions the password's characters allow:
# a 72-character password (the most zxcvbn is given) made of many different l33t characters takes
# seconds of pure-Python CPU to score.
L33T_BOMB = ("a4@b8c({[<e3g69i1!|l7o0s$5t+x%z2" * 3)[:72]
SIGN_UP_ANY = "mutation($input: SignUpInput!) { signUp(input: $input) { token errors { code } } }"


async def test_an_anonymous_sign_up_cannot_stall_the_event_loop_with_a_crafted_password(client):
    """Contract, Authentication: password work "runs off the event loop so that a burst of sign-ins does
    not stall other requests"; docs/security.md: sign-ups are limited per IP against burning CPU. The
    password strength check (zxcvbn) runs on the event loop in `check_new_user`, before the sign-up
    limiter and even when the email and name are invalid: one anonymous request with a crafted password
    freezes every other request for seconds, as often as the attacker likes (nothing is counted)."""
    variables = {"input": {"email": "not-an-email", "password": L33T_BOMB, "name": ""}}
    loop = asyncio.get_running_loop()
    gaps = []

    async def tick():  # what any other request would see: how long the loop was away
        while True:
            before = loop.time()
            await asyncio.sleep(0.02)
            gaps.append(loop.time() - before)

    ticker = asyncio.create_task(tick())
    await asyncio.sleep(0.05)  # the ticker is running
    try:
        body = await client.gql(SIGN_UP_ANY, variables)
        health = await client.get("/health")
        await asyncio.sleep(0.1)  # the ticker's last wake-up
    finally:
        ticker.cancel()
    assert "errors" in body["data"]["signUp"] and health.status_code == 200
    assert max(gaps) < 1.0, f"the event loop stalled for {max(gaps):.1f}s on one anonymous signUp"


CHANGE_PASSWORD = """mutation($input: ChangePasswordInput!) { changePassword(input: $input) { errors { code } } }"""


async def test_a_password_change_that_upgrades_an_outdated_hash_holds_no_connection_while_hashing(
    make_client, database, settings, monkeypatch
):
    """Contract, Protection: "Waiting for a password hash never holds a database connection". When the
    stored hash uses outdated Argon2 parameters (the contract has them upgraded on the next right
    password), `_check_password` writes the upgraded hash through the operation's session, which takes a
    pooled connection and keeps it; `change_password` then waits for a hashing slot and hashes the new
    password while holding it (the pool-deadlock pattern of PITFALLS "GraphQL meets auth")."""
    from api.policies import password_hashing
    from db.services.passwords import Argon2Params
    from tests.support.factories import make_session

    current = password_hashing(settings).params
    outdated = Argon2Params(time_cost=current.time_cost + 1, memory_cost=current.memory_cost,
                            parallelism=current.parallelism)
    from db.models import User
    from tests.support.factories import make_users

    (user,) = await make_users(database, User(
        email="old@example.com", name="Old", password_hash=passwords_module.hash_password_sync(STRONG, outdated)
    ))
    _, token = await make_session(database, user)
    slow = _SlowHash(passwords_module.hash_password_sync)  # the new password's hash; verify is unaffected
    monkeypatch.setattr(passwords_module, "hash_password_sync", slow)
    change = {"input": {"currentPassword": STRONG, "newPassword": STRONG + " again", "revokeOtherSessions": False}}
    async with make_client(pool_size=1, max_overflow=0, pool_timeout=PROMPTLY + 2) as client:
        result, checked_out, viewer = await _while_hashing(client, slow, CHANGE_PASSWORD, change, token)
        assert result == {"data": {"changePassword": {"errors": []}}}
        assert checked_out == 0, f"{checked_out} pooled connection(s) held while hashing the new password"
        assert viewer is not None and viewer["data"]["viewer"]["email"] == "old@example.com"


class _FirstVerifyWaits:
    """Replaces the password verification run in the hashing threads: the first call blocks until released
    (a sign-in whose Argon2 check is under way), later ones run at once."""

    def __init__(self, real):
        self.real = real
        self.started = threading.Event()
        self.release = threading.Event()
        self._first = True
        self._lock = threading.Lock()

    def __call__(self, password_hash, password, params):
        with self._lock:
            first, self._first = self._first, False
        if first:
            self.started.set()
            self.release.wait(30)
        return self.real(password_hash, password, params)


async def test_a_sign_in_with_the_old_password_cannot_outlive_a_password_change(make_client, monkeypatch):
    """Contract, Sessions: "`changePassword` revokes the other sessions" (and an admin's new password revokes
    all). A sign-in reads the account and verifies the password, then creates its session later without
    looking again: one whose check was under way when the password changed creates a fresh, active
    session with the old password after the revocation. Right passwords are never counted, so whoever
    knows the old password can keep sign-ins in flight continuously and always keep a session."""
    from tests.support.auth import sign_in, sign_up

    new_password = STRONG + " renewed"
    async with make_client(password_hashing_concurrency=2) as client:
        owner_token = (await sign_up(client, email="ann@example.com"))["token"]
        slow = _FirstVerifyWaits(passwords_module.verify_password_sync)
        monkeypatch.setattr(passwords_module, "verify_password_sync", slow)
        intruder = asyncio.create_task(sign_in(client, email="ann@example.com", password=STRONG))
        try:
            await _until_blocked(slow, intruder)
            change = {"input": {"currentPassword": STRONG, "newPassword": new_password, "revokeOtherSessions": True}}
            changed = await client.gql(CHANGE_PASSWORD, change, token=owner_token)
        finally:
            slow.release.set()
            signed_in = await intruder
        assert changed == {"data": {"changePassword": {"errors": []}}}
        if signed_in["token"] is not None:  # the old password got a session: it must not act for the account
            viewer = await client.gql(VIEWER, token=signed_in["token"])
            assert viewer["data"]["viewer"] is None, "a session signed in with the old password survived the change"


async def test_a_sign_in_in_flight_when_its_account_is_deleted_is_not_an_internal_error(make_client, monkeypatch):
    """Contract, Errors: "Unexpected failures: INTERNAL_SERVER_ERROR"; a sign-in against an account that
    no longer exists is INVALID_CREDENTIALS. Same root cause as above: the sign-in creates its session for
    the user row it read before hashing; when the account was deleted meanwhile (deleteViewer, deleteUser)
    the session's foreign key fails and the client gets a 500-class INTERNAL_SERVER_ERROR."""
    from tests.support.auth import sign_up

    async with make_client(password_hashing_concurrency=2) as client:
        token = (await sign_up(client, email="ann@example.com"))["token"]
        slow = _FirstVerifyWaits(passwords_module.verify_password_sync)
        monkeypatch.setattr(passwords_module, "verify_password_sync", slow)
        sign_in = asyncio.create_task(client.gql(
            "mutation($i: SignInInput!) { signIn(input: $i) { token errors { code } } }",
            {"i": {"email": "ann@example.com", "password": STRONG}},
        ))
        try:
            await _until_blocked(slow, sign_in)
            deleted = await client.gql(
                "mutation($i: DeleteViewerInput!) { deleteViewer(input: $i) { errors { code } } }",
                {"i": {"password": STRONG}}, token=token,
            )
        finally:
            slow.release.set()
            body = await sign_in
        assert deleted == {"data": {"deleteViewer": {"errors": []}}}
        assert "errors" not in body, body
        assert body["data"]["signIn"] == {"token": None, "errors": [{"code": "INVALID_CREDENTIALS"}]}


async def test_a_refused_sign_in_writes_nothing_to_the_account(make_client, database, settings, monkeypatch):
    """A sign-in refused by the account (banned while its password check was under way, or deactivated
    with an outdated hash) leaves the row as it was: `lastSignInAt` does not move for a sign-in that did
    not happen, and the hash of an account that cannot sign in is not rewritten."""
    from sqlalchemy import select, update

    from api.policies import password_hashing
    from db.models import User
    from db.services.passwords import Argon2Params
    from tests.support.auth import sign_in, sign_up
    from db.types import utcnow
    from tests.support.factories import make_users

    current = password_hashing(settings).params
    outdated = passwords_module.hash_password_sync(STRONG, Argon2Params(
        time_cost=current.time_cost + 1, memory_cost=current.memory_cost, parallelism=current.parallelism))
    (old,) = await make_users(database, User(email="old@example.com", name="Old", password_hash=outdated,
                                             is_active=False))

    async with make_client(password_hashing_concurrency=2) as client:
        await sign_up(client, email="ann@example.com")
        async with database.sessionmaker() as db:
            before = await db.scalar(select(User.last_sign_in_at).where(User.email == "ann@example.com"))
        slow = _FirstVerifyWaits(passwords_module.verify_password_sync)
        monkeypatch.setattr(passwords_module, "verify_password_sync", slow)
        attempt = asyncio.create_task(sign_in(client, email="ann@example.com", password=STRONG))
        try:
            await _until_blocked(slow, attempt)
            async with database.sessionmaker.begin() as db:  # an admin's ban, committed meanwhile
                await db.execute(update(User).where(User.email == "ann@example.com").values(
                    banned_at=utcnow(), ban_reason="spam"))
        finally:
            slow.release.set()
            banned = await attempt
        assert [error["code"] for error in banned["errors"]] == ["ACCOUNT_BANNED"]

        disabled = await sign_in(client, email="old@example.com", password=STRONG)
        assert [error["code"] for error in disabled["errors"]] == ["ACCOUNT_DISABLED"]

    async with database.sessionmaker() as db:
        ann_signed_in = await db.scalar(select(User.last_sign_in_at).where(User.email == "ann@example.com"))
        old_hash = await db.scalar(select(User.password_hash).where(User.id == old.id))
    assert ann_signed_in == before, "a refused sign-in moved lastSignInAt"
    assert old_hash == outdated, "a refused sign-in rewrote the account's hash"
