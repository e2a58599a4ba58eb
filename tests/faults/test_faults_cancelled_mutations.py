"""The real mutations, cancelled half-way through the whole app (middleware, router, schema, the
DatabaseTransaction extension) as a server shutting down or a client going away would cancel them,
write nothing: not the user without its session (signUp), not the new password without the revocation
of the other sessions (changePassword). And the connection goes back to the pool.

The httpx ASGI transport runs the app in the calling task, so cancelling that task cancels the request
where it stands. The moment is chosen from the real work: a statement about to be sent (SQLAlchemy's
cursor event) or a password hash handed to a worker thread (db.services.passwords.hashing_threads)."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import event, func, select

from db.services import passwords
from db.models import Session, User
from tests.support.auth import PASSWORD, SIGN_UP, sign_in, sign_up

CHANGE_PASSWORD = """
mutation ($input: ChangePasswordInput!) {
  changePassword(input: $input) { user { id } errors { code } }
}"""
NEW_PASSWORD = "a different horse, battery staple"


@pytest.fixture(autouse=True)
def _collect_leaked_connections() -> Iterator[None]:
    """Close whatever a failing case leaked (see the SQLite xfail) before the tables are emptied."""
    yield
    gc.collect()


class _SignallingExecutor(ThreadPoolExecutor):
    """A hashing thread pool calling `on_submit` when work (an Argon2 hash) is handed to it."""

    on_submit: Callable[[], None] | None = None

    def submit(self, fn, /, *args, **kwargs):
        future = super().submit(fn, *args, **kwargs)
        if self.on_submit is not None:
            self.on_submit()
        return future


async def _cancelled_request(client, body: dict, *, token: str | None, arm: Callable[[Callable[[], None]], Callable[[], None]]) -> None:
    """Send `body` and cancel the request at the moment `arm` picks; `arm(cancel)` returns a disarm."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    task = asyncio.ensure_future(client.post("/graphql", json=body, headers=headers))
    fired = []

    def cancel() -> None:
        if not fired:
            fired.append(True)
            task.cancel()

    disarm = arm(cancel)
    try:
        with pytest.raises(asyncio.CancelledError):
            await task
    finally:
        disarm()
    assert fired


def _before_statement(client, prefix: str):
    """Arm: cancel just before a statement starting with `prefix` is sent."""
    engine = client.app.state.database.engine.sync_engine

    def arm(cancel):
        def listener(conn, cursor, statement, parameters, context, executemany):
            if statement.lstrip().upper().startswith(prefix):
                cancel()

        event.listen(engine, "before_cursor_execute", listener)
        return lambda: event.remove(engine, "before_cursor_execute", listener)

    return arm


def _while_hashing():
    """Arm: cancel as soon as a password hash starts in a worker thread."""
    loop = asyncio.get_running_loop()
    executor = _SignallingExecutor()

    def arm(cancel):
        original, passwords.hashing_threads = passwords.hashing_threads, executor
        executor.on_submit = lambda: loop.call_soon(cancel)

        def disarm() -> None:
            passwords.hashing_threads = original
            executor.on_submit = None

        return disarm

    return arm


async def _counts(database) -> tuple[int, int]:
    async with database.sessionmaker() as session:
        users = await session.scalar(select(func.count()).select_from(User))
        sessions = await session.scalar(select(func.count()).select_from(Session))
        return users, sessions


def _pool_is_idle(client) -> bool:
    return client.app.state.database.engine.pool.checkedout() == 0


@pytest.mark.parametrize("moment", ["while hashing", "after the user insert"])
async def test_a_cancelled_sign_up_writes_nothing(client, database, moment):
    arm = _while_hashing() if moment == "while hashing" else _before_statement(client, "INSERT INTO SESSIONS")
    variables = {"input": {"email": "ann@example.com", "password": PASSWORD, "name": "Ann"}}
    await _cancelled_request(client, {"query": SIGN_UP, "variables": variables}, token=None, arm=arm)
    assert await _counts(database) == (0, 0)
    assert _pool_is_idle(client)
    # Nothing was left locked or half-done: the same sign-up now goes through.
    assert (await sign_up(client))["errors"] == []
    assert await _counts(database) == (1, 1)


@pytest.mark.parametrize("moment", ["while hashing", "between the two writes"])
async def test_a_cancelled_password_change_writes_nothing(client, database, is_postgres, request, moment):
    if moment == "between the two writes" and not is_postgres:
        # Found here, not fixed: on SQLite a cancellation that lands while the UPDATE is in aiosqlite's
        # worker leaves that connection's write transaction open (the pool no longer counts it) until
        # the garbage collector closes it; meanwhile every writer waits for the lock and then fails.
        # Nothing is committed, but the API is stuck for up to busy_timeout. See docs/reliability.md.
        request.applymarker(pytest.mark.xfail(strict=True, reason="SQLite: write lock held after a mid-statement cancel"))
    laptop = (await sign_up(client))["token"]
    phone = (await sign_in(client))["token"]
    # Hashing happens twice (checking the current password, hashing the new one): cancel in the
    # first. Between the writes: the new hash has been sent (UPDATE users), the revocation not yet.
    arm = _while_hashing() if moment == "while hashing" else _before_statement(client, "UPDATE SESSIONS")
    variables = {"input": {"currentPassword": PASSWORD, "newPassword": NEW_PASSWORD}}
    await _cancelled_request(client, {"query": CHANGE_PASSWORD, "variables": variables}, token=laptop, arm=arm)
    assert _pool_is_idle(client)
    # The old password still works, the new one does not, and the phone is still signed in.
    assert (await client.gql("{ viewer { email } }", token=phone))["data"]["viewer"] == {"email": "ann@example.com"}
    assert [e["code"] for e in (await sign_in(client, password=NEW_PASSWORD))["errors"]] == ["INVALID_CREDENTIALS"]
    assert (await sign_in(client))["errors"] == []
    # And the same change left to finish does both writes.
    body = await client.gql(CHANGE_PASSWORD, variables, token=laptop)
    assert body["data"]["changePassword"]["errors"] == [], body
    assert (await client.gql("{ viewer { email } }", token=phone))["data"]["viewer"] is None
    assert (await sign_in(client, password=NEW_PASSWORD))["errors"] == []
