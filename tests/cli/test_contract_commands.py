"""CONTRACT.md, Commands: each exits non-zero with one line on failure; `serve` waits for the database
within the start-up timeout; migrations are safe from several processes at once."""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
from contextlib import asynccontextmanager

import httpx
import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import make_url

from api.settings import Settings
from db.engine import Database
from db.migrations import alembic_config
from tests.support.databases import create_test_database, drop_test_database
from tests.support.server import ROOT, free_port, usergraph_command
from tests.support.tcp_proxy import TcpProxy

PASSWORD = "correct horse battery staple\n"
UNREACHABLE = "postgresql://postgres@127.0.0.1:1/none"
DATABASE_COMMANDS = {
    "serve": ["serve", "--port", "1"],
    "migrate": ["migrate"],
    "create-admin": ["create-admin", "--email", "root@example.com", "--name", "Root", "--password-stdin"],
    "seed": ["seed", "--users", "1"],
    "purge-sessions": ["purge-sessions"],
}
WAIT = 90.0  # seconds before a test gives up on something it expects to happen


def run(args, env, cwd):
    return subprocess.run(
        usergraph_command(*args), input=PASSWORD, capture_output=True, text=True, timeout=120, cwd=cwd,
        env={**os.environ, "STARTUP_TIMEOUT": "0", "CONNECT_TIMEOUT": "2", **env, "PYTHONPATH": str(ROOT)},
    )


def assert_one_line_failure(result, command, *fragments):
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"usergraph {command}: ")
    for fragment in fragments:
        assert fragment in lines[0]


@pytest.mark.parametrize("command", list(DATABASE_COMMANDS))
def test_a_bad_database_url_fails_on_one_line(tmp_path, command):
    result = run(DATABASE_COMMANDS[command], {"DATABASE_URL": "mysql://u:hunter2@h/db"}, tmp_path)
    assert_one_line_failure(result, command, "unsupported database URL scheme")
    assert "hunter2" not in result.stderr


@pytest.mark.parametrize("command", list(DATABASE_COMMANDS))
def test_an_unreachable_database_fails_on_one_line(tmp_path, command):
    result = run(DATABASE_COMMANDS[command], {"DATABASE_URL": UNREACHABLE}, tmp_path)
    assert_one_line_failure(result, command, "Connect call failed")


@pytest.mark.parametrize("command", list(DATABASE_COMMANDS))
def test_a_database_that_does_not_exist_fails_on_one_line(requires_postgres, database_url, tmp_path, command):
    missing = make_url(database_url).set(database=f"usergraph_missing_{secrets.token_hex(4)}")
    result = run(DATABASE_COMMANDS[command], {"DATABASE_URL": missing.render_as_string(hide_password=False)}, tmp_path)
    assert_one_line_failure(result, command, "does not exist")
    assert "run `usergraph migrate`" not in result.stderr  # migrating cannot create a database


@pytest.mark.parametrize("command", ["create-admin", "seed", "purge-sessions"])
def test_an_unmigrated_database_fails_on_one_line_saying_what_to_do(tmp_path, command):
    result = run(DATABASE_COMMANDS[command], {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/empty.db"}, tmp_path)
    assert_one_line_failure(result, command, "run `usergraph migrate` first")


def test_export_schema_to_a_file_and_to_a_path_it_cannot_write(tmp_path):
    printed = run(["export-schema"], {}, tmp_path)
    written = run(["export-schema", "--output", "schema.graphql"], {}, tmp_path)
    assert printed.returncode == 0 and written.returncode == 0, written.stderr
    assert (tmp_path / "schema.graphql").read_text() == printed.stdout
    assert printed.stdout == (ROOT / "schema.graphql").read_text()
    refused = run(["export-schema", "--output", str(tmp_path / "missing" / "schema.graphql")], {}, tmp_path)
    assert_one_line_failure(refused, "export-schema", "cannot write")


def test_every_command_has_help(tmp_path):
    for args in ([], *([name] for name in [*DATABASE_COMMANDS, "export-schema"])):
        result = run([*args, "--help"], {}, tmp_path)
        assert result.returncode == 0 and result.stdout.startswith("usage: usergraph"), args


async def _wait_for(condition, what: str) -> None:
    for _ in range(int(WAIT / 0.2)):
        if await condition():
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"gave up waiting for {what}")


@asynccontextmanager
async def serve_behind_a_cut_proxy(database_url, tmp_path, *args, **env):
    """`usergraph serve` whose database is reached through a proxy that starts cut (connections
    refused); yields (proxy, port, process, log path)."""
    target = make_url(database_url)
    proxy = TcpProxy(target.host or "127.0.0.1", target.port or 5432)
    await proxy.start()
    await proxy.cut()  # the port stops listening until restore()
    port = free_port()
    log_path = tmp_path / "serve.log"
    url = target.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    environment = {**os.environ, "PYTHONPATH": str(ROOT), "CONNECT_TIMEOUT": "2", "DATABASE_URL": url, **env}
    with log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            *usergraph_command("serve", "--port", str(port), *args), cwd=tmp_path, env=environment,
            stdout=log, stderr=log)
    try:
        yield proxy, port, process, log_path
    finally:
        if process.returncode is None:
            process.terminate()
            await process.wait()
        await proxy.close()


def health_is(status, port, process, log_path):
    async def check():
        assert process.returncode is None, log_path.read_text()
        try:
            async with httpx.AsyncClient() as client:
                return (await client.get(f"http://127.0.0.1:{port}/health", timeout=5)).status_code == status
        except httpx.HTTPError:
            return False
    return check


async def test_serve_waits_for_the_database_then_starts(requires_postgres, database_url, tmp_path):
    """The database becomes reachable only after serve has tried and failed: serve keeps trying
    (within STARTUP_TIMEOUT), migrates and answers."""
    async with serve_behind_a_cut_proxy(database_url, tmp_path, STARTUP_TIMEOUT=str(WAIT)) as (
        proxy, port, process, log_path
    ):
        async def refused_once():
            assert process.returncode is None, log_path.read_text()
            return "database not reachable yet" in log_path.read_text()

        await _wait_for(refused_once, "serve to report the database unreachable")
        await proxy.restore()
        await _wait_for(health_is(200, port, process, log_path), "serve to answer once the database did")


async def test_serve_without_migrate_answers_503_until_the_database_does(requires_postgres, database_url, tmp_path):
    async with serve_behind_a_cut_proxy(database_url, tmp_path, "--no-migrate", HEALTH_TIMEOUT="2") as (
        proxy, port, process, log_path
    ):
        await _wait_for(health_is(503, port, process, log_path), "serve to start and report the database down")
        await proxy.restore()
        await _wait_for(health_is(200, port, process, log_path), "/health to report the database once it answers")


def test_two_migrations_at_once_both_succeed_and_apply_each_revision_once(requires_postgres, database_url, tmp_path):
    script = ScriptDirectory.from_config(alembic_config())
    revisions = len(list(script.walk_revisions()))
    for _ in range(2):
        url = create_test_database(database_url, f"usergraph_migrate_{secrets.token_hex(4)}")
        try:
            env = {**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": url}
            env.pop("DIRECT_URL", None)
            processes = [
                subprocess.Popen(usergraph_command("migrate"), cwd=tmp_path, env=env, text=True,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                for _ in range(2)
            ]
            results = [process.communicate(timeout=120) for process in processes]
            for process, (_, stderr) in zip(processes, results):
                assert process.returncode == 0, stderr
            # Exactly one process ran the upgrade; the other found the database at head.
            assert sorted(stderr.count("Running upgrade") for _, stderr in results) == [0, revisions]
            assert asyncio.run(_versions(url)) == [script.get_current_head()]
        finally:
            drop_test_database(url)


async def _versions(url: str) -> list[str]:
    database = Database.from_settings(Settings(database_url=url))
    try:
        async with database.engine.connect() as connection:
            return list((await connection.execute(text("SELECT version_num FROM alembic_version"))).scalars())
    finally:
        await database.dispose()
