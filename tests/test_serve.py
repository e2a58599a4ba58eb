"""End to end: the real `usergraph serve` process, spoken to over HTTP."""

import subprocess

import httpx

from tests.support.server import running_server, usergraph_command


def test_serve_migrates_and_answers_health_and_graphql(tmp_path, database_url):
    # A database of its own on SQLite; on PostgreSQL the shared test database (already migrated).
    url = database_url if database_url.startswith("postgresql") else f"sqlite+aiosqlite:///{tmp_path}/e2e.db"
    with running_server({"DATABASE_URL": url}, tmp_path=tmp_path) as server:
        health = httpx.get(f"{server.base_url}/health", timeout=5)
        assert health.status_code == 200 and health.json()["status"] == "healthy"
        reply = httpx.post(f"{server.base_url}/graphql", json={"query": "{ __typename }"}, timeout=5)
        assert reply.json() == {"data": {"__typename": "Query"}}


def test_serve_without_migrate_starts_while_the_database_is_down(tmp_path):
    env = {"DATABASE_URL": "postgresql://postgres@127.0.0.1:1/none", "HEALTH_TIMEOUT": "1"}
    with running_server(env, "--no-migrate", tmp_path=tmp_path) as server:
        health = httpx.get(f"{server.base_url}/health", timeout=5)
        assert health.status_code == 503 and health.json()["status"] == "unhealthy"


def test_serve_gives_up_on_an_unreachable_database_with_one_line(tmp_path):
    env = {"DATABASE_URL": "postgresql://postgres@127.0.0.1:1/none", "STARTUP_TIMEOUT": "1"}
    result = subprocess.run(
        usergraph_command("serve", "--port", "1"), env=_env(env), capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "database not reachable after 1s" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_database_url_is_a_one_line_error(tmp_path):
    result = subprocess.run(
        usergraph_command("migrate"), env=_env({"DATABASE_URL": "mysql://x@y/z"}),
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith("usergraph migrate: unsupported database URL scheme")
    assert "Traceback" not in result.stderr


def _env(extra):
    import os

    from tests.support.server import ROOT

    return {**os.environ, **extra, "PYTHONPATH": str(ROOT)}
