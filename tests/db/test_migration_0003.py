"""Migration 0003 (emails keyed by NFKC+casefold): it backfills the key, refuses colliding emails naming
them and changing nothing, and goes down to 0002 and back."""

import os
import subprocess
import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from db.migrations import downgrade, upgrade
from db.models import User
from db.types import UTCDateTime, utcnow
from tests.support.databases import run_on
from tests.support.server import ROOT, usergraph_command


_USERS_0002 = sa.table(
    "users", sa.column("id", sa.Uuid()), sa.column("email", sa.String()), sa.column("name", sa.String()),
    sa.column("email_verified", sa.Boolean()), sa.column("role", sa.String()), sa.column("is_active", sa.Boolean()),
    sa.column("password_hash", sa.String()), sa.column("created_at", UTCDateTime()),
    sa.column("updated_at", UTCDateTime()),
)
_SESSIONS_0002 = sa.table(
    "sessions", sa.column("id", sa.Uuid()), sa.column("user_id", sa.Uuid()), sa.column("token_hash", sa.String()),
    sa.column("expires_at", UTCDateTime()), sa.column("created_at", UTCDateTime()),
    sa.column("updated_at", UTCDateTime()),
)


def _users_at_0002(settings, url: str, emails: list[str]) -> dict[str, uuid.UUID]:
    """Migrate an empty database to 0002 and add users with these emails, the first with a session."""
    upgrade(url, "0002")
    ids = {email: uuid.uuid4() for email in emails}
    now = utcnow()

    def insert(connection):
        connection.execute(_USERS_0002.insert(), [
            {"id": user_id, "email": email, "name": "N", "email_verified": False, "role": "USER",
             "is_active": True, "password_hash": "x", "created_at": now, "updated_at": now}
            for email, user_id in ids.items()
        ])
        connection.execute(_SESSIONS_0002.insert(), [{
            "id": uuid.uuid4(), "user_id": ids[emails[0]], "token_hash": "0" * 64,
            "expires_at": now, "created_at": now, "updated_at": now,
        }])

    run_on(settings, url, insert)
    return ids


def _state(settings, url: str):
    """The revision, the `users` columns, the users' emails (and keys, when the column exists), sessions."""

    def read(connection):
        revision = connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one()
        columns = {column["name"] for column in sa.inspect(connection).get_columns("users")}
        picked = [sa.column("email")] + ([sa.column("email_key")] if "email_key" in columns else [])
        users = sorted(tuple(row) for row in connection.execute(sa.select(*picked).select_from(sa.table("users"))))
        sessions = connection.execute(sa.text("SELECT count(*) FROM sessions")).scalar_one()
        return revision, columns, users, sessions

    return run_on(settings, url, read)


def test_0003_backfills_email_keys_and_downgrades(settings, fresh_database_url):
    _users_at_0002(settings, fresh_database_url, ["Ünal@x.io", "STRASSE@x.io", "Ann@example.com"])

    upgrade(fresh_database_url, "0003")
    revision, columns, users, sessions = _state(settings, fresh_database_url)
    assert revision == "0003" and "email_key" in columns and sessions == 1
    assert users == [("Ann@example.com", "ann@example.com"), ("STRASSE@x.io", "strasse@x.io"),
                     ("Ünal@x.io", "ünal@x.io")]

    def insert_other_case(connection):
        connection.execute(User.__table__.insert(), [{
            "id": uuid.uuid4(), "email": "ünal@x.io", "name": "N", "password_hash": "x", "email_verified": False,
            "role": "USER", "is_active": True, "created_at": utcnow(), "updated_at": utcnow(),
        }])

    with pytest.raises(IntegrityError):  # the key (given by the column's default) is unique
        run_on(settings, fresh_database_url, insert_other_case)

    downgrade(fresh_database_url, "0002")
    revision, columns, users, sessions = _state(settings, fresh_database_url)
    assert revision == "0002" and "email_key" not in columns and sessions == 1
    assert users == [("Ann@example.com",), ("STRASSE@x.io",), ("Ünal@x.io",)]
    upgrade(fresh_database_url, "0003")
    assert _state(settings, fresh_database_url)[0] == "0003"


def test_0003_refuses_emails_that_collide_naming_them_and_changes_nothing(settings, fresh_database_url):
    # Distinct for lower() on both databases, one address once case-folded (ß is ss).
    ids = _users_at_0002(settings, fresh_database_url, ["STRASSE@x.io", "straße@x.io", "ann@example.com"])
    before = _state(settings, fresh_database_url)

    result = subprocess.run(
        usergraph_command("migrate"), capture_output=True, text=True, timeout=120,
        env={**os.environ, "DATABASE_URL": fresh_database_url, "PYTHONPATH": str(ROOT)},
    )

    assert result.returncode == 1
    [message] = [line for line in result.stderr.splitlines() if line.startswith("usergraph migrate:")]
    for email in ("STRASSE@x.io", "straße@x.io"):
        assert f"{email!r} (user {ids[email]})" in message
    assert "ann@example.com" not in message and "Nothing was changed" in message
    assert _state(settings, fresh_database_url) == before
    assert before[0] == "0002" and "email_key" not in before[1]
