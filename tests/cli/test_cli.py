"""The `usergraph` commands operators and scripts rely on."""

import os
import subprocess

from sqlalchemy import select

from db.models import Role, User
from tests.support.server import ROOT, usergraph_command


def run(*args, input=None, env=None):
    return subprocess.run(
        usergraph_command(*args),
        input=input,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {}), "PYTHONPATH": str(ROOT)},
    )


async def test_create_admin_reads_the_password_from_stdin(database):
    result = run("create-admin", "--email", " Root@Example.com ", "--name", "Root", "--password-stdin",
                 input="correct horse battery staple\n")
    assert result.returncode == 0, result.stderr
    async with database.sessionmaker() as session:
        admin = await session.scalar(select(User))
    assert admin.email == "Root@example.com"
    assert admin.role is Role.ADMIN and admin.is_active and admin.email_verified
    assert admin.password_hash.startswith("$argon2id$")
    assert "correct horse" not in admin.password_hash


async def test_create_admin_refuses_an_existing_email(database):
    first = run("create-admin", "--email", "a@example.com", "--name", "A", "--password-stdin",
                input="correct horse battery staple\n")
    assert first.returncode == 0, first.stderr
    again = run("create-admin", "--email", "A@EXAMPLE.com", "--name", "A", "--password-stdin",
                input="correct horse battery staple\n")
    assert again.returncode == 1
    assert "already exists" in again.stderr and "Traceback" not in again.stderr


def test_create_admin_refuses_a_weak_password():
    result = run("create-admin", "--email", "b@example.com", "--name", "B", "--password-stdin", input="password\n")
    assert result.returncode == 1
    assert "Password" in result.stderr and "Traceback" not in result.stderr


def test_export_schema_prints_sdl():
    result = run("export-schema")
    assert result.returncode == 0, result.stderr
    assert "type Query" in result.stdout and "interface Node" in result.stdout


def test_every_command_has_help():
    for command in ("serve", "migrate", "create-admin", "export-schema"):
        result = run(command, "--help")
        assert result.returncode == 0 and "usage: usergraph" in result.stdout
