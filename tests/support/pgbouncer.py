"""Start a real PgBouncer in `pool_mode = transaction` on a free loopback port, in front of the test
PostgreSQL, as Neon's pooled endpoints and most production set-ups run it."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from tests.support.processes import stop
from tests.support.server import free_port


def pgbouncer_binary() -> str | None:
    return shutil.which("pgbouncer") or next(
        (path for path in ("/usr/sbin/pgbouncer", "/usr/bin/pgbouncer") if os.access(path, os.X_OK)), None
    )


def _run_as() -> list[str]:
    # PgBouncer refuses to run as root; `-u` makes it drop to an unprivileged user.
    if os.geteuid() != 0:
        return []
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return ["-u", name]
        except KeyError:
            continue
    return []


@contextmanager
def running_pgbouncer(database_url: str, *, pool_size: int = 4, wait: float = 20.0) -> Iterator[URL]:
    """Yield the URL of `database_url`'s database reached through PgBouncer (transaction pooling)."""
    binary = pgbouncer_binary()
    if binary is None:
        raise RuntimeError("pgbouncer is not installed (apt-get install -y pgbouncer)")
    target = make_url(database_url)
    port = free_port()
    folder = Path(tempfile.mkdtemp(prefix="usergraph-pgbouncer-"))
    user = target.username or "postgres"
    (folder / "userlist.txt").write_text(f'"{user}" "{target.password or ""}"\n')
    (folder / "pgbouncer.ini").write_text(
        "[databases]\n"
        f"* = host={target.host or '127.0.0.1'} port={target.port or 5432}\n"
        "[pgbouncer]\n"
        "listen_addr = 127.0.0.1\n"
        f"listen_port = {port}\n"
        f"unix_socket_dir =\n"
        "auth_type = trust\n"
        f"auth_file = {folder / 'userlist.txt'}\n"
        "pool_mode = transaction\n"
        f"default_pool_size = {pool_size}\n"
        "max_client_conn = 200\n"
        # asyncpg sends these at start-up; PgBouncer must let them through.
        "ignore_startup_parameters = extra_float_digits,options,application_name,search_path\n"
        f"logfile = {folder / 'pgbouncer.log'}\n"
        f"pidfile = {folder / 'pgbouncer.pid'}\n"
    )
    folder.chmod(0o755)
    for path in folder.iterdir():
        path.chmod(0o644)
    if _run_as():
        shutil.chown(folder, user=_run_as()[1])
    process = subprocess.Popen(
        [binary, *_run_as(), str(folder / "pgbouncer.ini")],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + wait
        while True:
            if process.poll() is not None:
                output = process.stdout.read().decode(errors="replace") if process.stdout else ""
                raise RuntimeError(f"pgbouncer exited with {process.returncode}: {output}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"pgbouncer did not listen on {port} within {wait}s") from None
                time.sleep(0.1)
        yield target.set(host="127.0.0.1", port=port)
    finally:
        stop(process, timeout=10)
        shutil.rmtree(folder, ignore_errors=True)
