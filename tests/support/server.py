"""Start the real `usergraph serve` process on a free port and talk HTTP to it, as a frontend would."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.support.processes import stop

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class RunningServer:
    process: subprocess.Popen
    base_url: str
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def usergraph_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "api.cli", *args]


@contextmanager
def running_server(
    env: dict[str, str], *args: str, tmp_path: Path, wait: float = 60.0
) -> Iterator[RunningServer]:
    port = free_port()
    log_path = tmp_path / f"serve-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            usergraph_command("serve", "--port", str(port), *args),
            cwd=tmp_path,
            env={**os.environ, **env, "PYTHONPATH": str(ROOT)},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = RunningServer(process, f"http://127.0.0.1:{port}", log_path)
    try:
        deadline = time.monotonic() + wait
        while True:
            if process.poll() is not None:
                raise AssertionError(f"usergraph serve exited with {process.returncode}:\n{server.log()}")
            try:
                if httpx.get(f"{server.base_url}/health", timeout=1).status_code in (200, 503):
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"usergraph serve did not answer within {wait}s:\n{server.log()}")
            time.sleep(0.2)
        yield server
    finally:
        stop(process, timeout=15)
