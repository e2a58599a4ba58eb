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


def test_responses_arrive_whole_over_kept_alive_and_closed_connections(tmp_path, database_url):
    # Responses on one kept-alive connection, a large one, and one before `Connection: close` all arrive
    # complete.
    import socket

    url = database_url if database_url.startswith("postgresql") else f"sqlite+aiosqlite:///{tmp_path}/e2e.db"
    with running_server({"DATABASE_URL": url}, tmp_path=tmp_path) as server:
        with httpx.Client(base_url=server.base_url, timeout=10) as client:
            for _ in range(3):
                assert client.post("/graphql", json={"query": "{ __typename }"}).json() == {
                    "data": {"__typename": "Query"}
                }
            from graphql import get_introspection_query

            reply = client.post("/graphql", json={"query": get_introspection_query()})  # ~47 KB
            assert reply.status_code == 200 and len(reply.content) > 40_000
            assert {"User", "Session"} <= {type_["name"] for type_ in reply.json()["data"]["__schema"]["types"]}
            assert client.get("/health").status_code == 200  # the connection still serves
        host, port = server.base_url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            body = b'{"query": "{ __typename }"}'
            sock.sendall(
                b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nConnection: close\r\n"
                + b"Content-Length: %d\r\n\r\n" % len(body) + body
            )
            received = b""
            while chunk := sock.recv(65536):  # until the server closes the connection
                received += chunk
        head, _, payload = received.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200") and payload == b'{"data":{"__typename":"Query"}}'
