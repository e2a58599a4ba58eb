"""Start the two servers under test (one uvicorn worker each) and read their memory and CPU use."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Server:
    name: str
    process: subprocess.Popen
    url: str
    log_path: Path

    @property
    def graphql_url(self) -> str:
        return f"{self.url}/graphql"

    def rss_mib(self) -> float:
        """VmRSS of the server process and its children (none with one worker)."""
        return sum(_rss_kib(pid) for pid in _tree(self.process.pid)) / 1024

    def cpu_seconds(self) -> float:
        total = 0.0
        for pid in _tree(self.process.pid):
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:  # exited meanwhile
                continue
            total += (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS
        return total


def _tree(pid: int) -> list[int]:
    """`pid` and its descendants, found by parent ID (the kernel may lack /proc/*/task/*/children)."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        parents.setdefault(ppid, []).append(int(stat.parent.name))
    pids, queue = [], [pid]
    while queue:
        current = queue.pop()
        pids.append(current)
        queue.extend(parents.get(current, []))
    return pids


def _rss_kib(pid: int) -> int:
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:  # exited meanwhile
        return 0
    return next((int(line.split()[1]) for line in lines if line.startswith("VmRSS:")), 0)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def usergraph_command(port: int) -> list[str]:
    return [sys.executable, "-m", "api.cli", "serve", "--no-migrate", "--port", str(port)]


def baseline_command(port: int) -> list[str]:
    return [sys.executable, "-m", "uvicorn", "bench.baseline.app:app", "--port", str(port),
            "--no-access-log", "--log-level", "warning"]


@contextmanager
def running(
    name: str, command_for_port, env: dict[str, str], *, wait: float = 60.0, root: Path = ROOT
) -> Iterator[Server]:
    """A server started from the checkout at `root`, once it answers `/health`."""
    port = _free_port()
    log_dir = Path(tempfile.mkdtemp(prefix=f"bench-{name}-"))
    log_path = log_dir / "server.log"
    with log_path.open("wb") as log:
        # A scratch working directory, so no developer `.env` changes what is measured.
        process = subprocess.Popen(
            command_for_port(port),
            cwd=log_dir,
            env={**os.environ, **env, "PYTHONPATH": str(root)},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = Server(name, process, f"http://127.0.0.1:{port}", log_path)
    try:
        deadline = time.monotonic() + wait
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode}:\n{log_path.read_text()[-2000:]}")
            try:
                if httpx.get(f"{server.url}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not become healthy within {wait:g}s")
            time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
