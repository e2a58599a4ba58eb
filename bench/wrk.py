"""Run wrk against a GraphQL endpoint with a POST body and read its numbers."""

from __future__ import annotations

import json
import re
import subprocess
import tempfile
from dataclasses import dataclass

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}


@dataclass(frozen=True)
class WrkResult:
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    errors: int  # socket errors + non-2xx responses
    requests: int


def _lua(query: str, token: str | None) -> str:
    body = json.dumps({"query": query})
    lines = ['wrk.method = "POST"', f"wrk.body = [==[{body}]==]", 'wrk.headers["Content-Type"] = "application/json"']
    if token:
        lines.append(f'wrk.headers["Authorization"] = "Bearer {token}"')
    return "\n".join(lines) + "\n"


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text).groups()
    return float(number) * _UNITS[unit]


def parse(output: str) -> WrkResult:
    percentiles = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", output, re.MULTILINE))
    rate = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.MULTILINE)
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", output))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    total = re.search(r"^\s+(\d+) requests in", output, re.MULTILINE)
    return WrkResult(
        requests_per_s=float(rate.group(1)) if rate else 0.0,
        p50_ms=_ms(percentiles["50"]) if "50" in percentiles else float("nan"),
        p99_ms=_ms(percentiles["99"]) if "99" in percentiles else float("nan"),
        errors=errors + (int(non_2xx.group(1)) if non_2xx else 0),
        requests=int(total.group(1)) if total else 0,
    )


def run(url: str, query: str, token: str | None, *, seconds: float, connections: int, threads: int = 2,
        latency: bool = True) -> WrkResult:
    """One wrk run of `seconds` (warm up with a first, discarded call)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(_lua(query, token))
        script.flush()
        command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "30s",
                   "-s", script.name, url]
        if latency:
            command.insert(1, "--latency")
        return parse(subprocess.run(command, capture_output=True, text=True, check=True).stdout)
