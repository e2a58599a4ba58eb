"""Start-up that fails fast: a refusal that waiting cannot change ends `migrate`/`serve` at once with one
line; a database that is only unreachable is retried, with at most one line every 5 seconds."""

from __future__ import annotations

import os
import subprocess

from sqlalchemy.engine import make_url

from tests.support.server import ROOT, usergraph_command

LONG = "120"  # a start-up timeout the refusals below must not wait for


def _migrate(env: dict[str, str], timeout: float = 110) -> subprocess.CompletedProcess:
    return subprocess.run(
        usergraph_command("migrate"), capture_output=True, text=True, timeout=timeout,
        env={**os.environ, **env, "PYTHONPATH": str(ROOT)},
    )


def _on(database_url: str, **parts: str) -> str:
    return make_url(database_url).set(drivername="postgresql", **parts).render_as_string(hide_password=False)


def _retries(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "not reachable yet" in line]


def test_an_unknown_database_ends_migrate_at_once_with_one_line(requires_postgres, database_url):
    result = _migrate({"DATABASE_URL": _on(database_url, database="usergraph_no_such_database"),
                       "STARTUP_TIMEOUT": LONG})
    assert result.returncode != 0
    assert result.stderr.strip().splitlines()[-1].startswith("usergraph migrate: database refused the connection")
    assert "does not exist" in result.stderr and "Traceback" not in result.stderr
    assert _retries(result.stderr) == []  # not one retry: the answer was final


def test_a_refused_role_ends_migrate_at_once(requires_postgres, database_url):
    result = _migrate({"DATABASE_URL": _on(database_url, username="usergraph_no_such_role"), "STARTUP_TIMEOUT": LONG})
    assert result.returncode != 0 and _retries(result.stderr) == []
    assert "database refused the connection" in result.stderr


def test_an_unwritable_sqlite_path_ends_migrate_at_once(tmp_path):
    missing = tmp_path / "no" / "such" / "folder" / "app.db"
    result = _migrate({"DATABASE_URL": f"sqlite+aiosqlite:///{missing}", "STARTUP_TIMEOUT": LONG})
    assert result.returncode != 0 and _retries(result.stderr) == []


def test_an_unreachable_database_is_retried_with_a_line_every_five_seconds_at_most():
    result = _migrate({"DATABASE_URL": "postgresql://postgres@127.0.0.1:1/none", "STARTUP_TIMEOUT": "8",
                       "CONNECT_TIMEOUT": "1"})
    assert result.returncode != 0
    assert "database not reachable after 8s" in result.stderr.strip().splitlines()[-1]
    retries = _retries(result.stderr)
    # 8 s of retries, one per second, logged at 0 s and 5 s: two lines, each saying how long it waited.
    assert 1 <= len(retries) <= 2, result.stderr
    assert "after 0s of 8s" in retries[0]
