"""Test fixtures: a real database (SQLite file, or a fresh PostgreSQL database when TEST_DATABASE_URL
is set), migrated with Alembic, and the real ASGI app behind httpx."""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

# Cheap but real Argon2id parameters, set before any settings are read.
os.environ.setdefault("ARGON2_TIME_COST", "1")
os.environ.setdefault("ARGON2_MEMORY_COST", "1024")
os.environ.setdefault("ARGON2_PARALLELISM", "1")
os.environ.setdefault("ENVIRONMENT", "development")
# A fixed key, so production-shaped apps and servers start; tests of the key itself set their own.
os.environ.setdefault("SECRET_KEY", "test-only secret key; never used outside the tests")
# Mail goes to the log unless a test gives its app SMTP_URL and MAIL_BACKEND=smtp (tests/support/mail.py),
# so apps and servers started in production mode by other tests need no mail server.
os.environ.setdefault("MAIL_BACKEND", "log")

from tests.support.databases import create_test_database, drop_test_database  # noqa: E402

_state: dict[str, str] = {}


def pytest_configure(config: pytest.Config) -> None:
    base = os.environ.get("TEST_DATABASE_URL")
    if base:
        url = create_test_database(base, f"usergraph_test_{secrets.token_hex(4)}")
        _state["drop"] = url
    else:
        folder = Path(tempfile.mkdtemp(prefix="usergraph-test-"))
        url = f"sqlite+aiosqlite:///{folder / 'test.db'}"
    _state["url"] = url
    os.environ["DATABASE_URL"] = url
    os.environ.pop("DIRECT_URL", None)

    from api.settings import get_settings
    from db.migrations import upgrade

    get_settings.cache_clear()
    upgrade(url)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark `slow` by rule (tests/support/slow.py), so a new test of the kind is marked without anyone
    remembering to; `uv run pytest -m "not slow"` is the quick loop, CI runs everything."""
    from tests.support.slow import is_slow

    for item in items:
        function = getattr(item, "function", None)
        if function is None or item.get_closest_marker("slow"):
            continue
        # pytest keeps a test's fixture definitions in `_fixtureinfo`; without it only the test is looked at.
        fixtures = getattr(item, "_fixtureinfo", None)
        definitions = fixtures.name2fixturedefs.values() if fixtures is not None else ()
        if is_slow(function, [definition.func for defs in definitions for definition in defs]):
            item.add_marker(pytest.mark.slow)


def pytest_unconfigure(config: pytest.Config) -> None:
    if "drop" in _state:
        drop_test_database(_state["drop"])


@pytest.fixture(scope="session")
def database_url() -> str:
    return _state["url"]


@pytest.fixture(scope="session")
def is_postgres(database_url: str) -> bool:
    return make_url(database_url).get_backend_name() == "postgresql"


@pytest.fixture
def requires_postgres(is_postgres: bool) -> None:
    if not is_postgres:
        pytest.skip("needs PostgreSQL: set TEST_DATABASE_URL=postgresql://user@host:port/db")


@pytest.fixture
def fresh_database_url(tmp_path, database_url: str) -> Iterator[str]:
    """An empty database of the same kind, for migrations to run on."""
    if not database_url.startswith("postgresql"):
        yield f"sqlite+aiosqlite:///{tmp_path}/fresh.db"
        return
    url = create_test_database(database_url, f"usergraph_ops_{secrets.token_hex(4)}")
    try:
        yield url
    finally:
        drop_test_database(url)


@pytest.fixture(scope="session")
def settings(database_url: str):
    from api.settings import Settings

    return Settings(database_url=database_url)


@pytest.fixture(scope="session")
async def database(settings) -> AsyncIterator:
    from db.engine import Database

    database = Database.from_settings(settings)
    yield database
    await database.dispose()


@pytest.fixture(autouse=True)
async def clean_tables(database) -> AsyncIterator[None]:
    """Every test starts with empty tables (faster than a database per test)."""
    yield
    from sqlmodel import SQLModel

    import db.models  # noqa: F401

    async with database.engine.begin() as connection:
        for table in reversed(SQLModel.metadata.sorted_tables):
            await connection.execute(table.delete())


@pytest.fixture(scope="session")
def make_client(settings) -> Callable:
    """Build a client for an app with some settings changed: `async with make_client(x=1) as client`."""
    from tests.support.client import app_client

    def factory(**overrides):
        return app_client(settings.model_copy(update=overrides))

    return factory


@pytest.fixture
async def client(make_client) -> AsyncIterator:
    async with make_client() as client:
        yield client


@pytest.fixture
def smtp_server() -> Iterator:
    """A real SMTP server (aiosmtpd) on a free port; `smtp_server.inbox` holds what it received."""
    from tests.support.mail import SmtpServer

    server = SmtpServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def clock():
    """A clock the test moves (two-factor codes are computed from it): pass it to `clocked_client`."""
    from tests.support.two_factor import Clock

    return Clock()


@pytest.fixture
async def mail_client(make_client, smtp_server) -> AsyncIterator:
    """A client of an app that delivers its mail to `smtp_server`."""
    async with make_client(smtp_url=smtp_server.url, mail_backend="smtp") as client:
        yield client
