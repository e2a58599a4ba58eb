"""`usergraph create-admin` without `--password-stdin`: asked twice at a terminal, without echo; refused
with one line where there is no terminal."""

from __future__ import annotations

import os
import select
import subprocess
import time

from sqlalchemy import select as sql_select

from db.models import Role, User
from tests.support.server import ROOT, usergraph_command

PASSWORD = "a long terminal password 42"


def _read_until(fd: int, marker: bytes, seen: bytearray, deadline: float, start: int = 0) -> None:
    """Read what the terminal shows into `seen` until `marker` appears after `start` (or the end)."""
    while marker not in seen[start:]:
        remaining = deadline - time.monotonic()
        assert remaining > 0, bytes(seen)
        ready, _, _ = select.select([fd], [], [], remaining)
        if ready:
            try:
                chunk = os.read(fd, 1024)
            except OSError:  # the child closed the terminal
                chunk = b""
            if not chunk:
                return
            seen += chunk


def _at_a_terminal(args: list[str], answers: list[str]) -> tuple[int, bytes]:
    """Run the command with a new pseudo-terminal as its controlling terminal, answer each password prompt,
    and return (exit status, everything the terminal showed)."""
    pid, fd = os.forkpty()
    if pid == 0:  # the child: the terminal is its stdin, stdout and controlling terminal
        os.environ["PYTHONPATH"] = str(ROOT)
        command = usergraph_command(*args)
        os.execvpe(command[0], command, os.environ)
    seen = bytearray()
    deadline = time.monotonic() + 120
    try:
        start = 0
        for answer in answers:
            _read_until(fd, b"assword", seen, deadline, start)
            start = len(seen)  # the next prompt comes after this answer
            os.write(fd, answer.encode() + b"\r")
        _read_until(fd, b"\x00never", seen, deadline)  # read to the end
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    return os.waitstatus_to_exitcode(status), bytes(seen)


async def test_create_admin_asks_twice_without_echo_at_a_terminal(database):
    status, shown = _at_a_terminal(
        ["create-admin", "--email", "tty@example.com", "--name", "Tty"], [PASSWORD, PASSWORD],
    )
    assert status == 0, shown
    assert shown.count(b"assword") == 2 and b"created admin tty@example.com" in shown
    assert PASSWORD.encode() not in shown  # nothing typed was echoed
    async with database.sessionmaker() as db:
        admin = await db.scalar(sql_select(User).where(User.email == "tty@example.com"))
    assert admin is not None and admin.role == Role.ADMIN


async def test_two_different_passwords_create_nobody(database):
    status, shown = _at_a_terminal(
        ["create-admin", "--email", "typo@example.com", "--name", "Typo"], [PASSWORD, PASSWORD + "!"],
    )
    assert status != 0 and b"the two passwords differ" in shown
    async with database.sessionmaker() as db:
        assert await db.scalar(sql_select(User).where(User.email == "typo@example.com")) is None


def test_without_a_terminal_or_password_stdin_it_says_how_in_one_line():
    result = subprocess.run(
        usergraph_command("create-admin", "--email", "no@example.com", "--name", "No"),
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert result.returncode != 0
    assert result.stderr.strip().splitlines()[-1].endswith("give it on standard input with --password-stdin")
