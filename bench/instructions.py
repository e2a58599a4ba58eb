"""Instructions per request, counted by valgrind's callgrind in the server process: a figure that does not
move with whatever else the machine is doing, for deciding whether a piece of the speed layer pays on a
shared machine (requests/s under wrk moved by 15-30 % between runs there).

    uv run python -m bench.instructions --variant "gc=.:GC_TUNING=false" --variant "bypass=../no-bypass"

Each checkout (NAME=PATH[:KEY=VALUE,...], "all on" being the current one) serves from `usergraph serve`
under callgrind; after a warm-up the counters are zeroed, N requests of each read are sent one at a time,
and the counters dumped: instructions per request = the dump's total / N. Needs valgrind (Debian: valgrind).
"""

from __future__ import annotations

import argparse
import asyncio
import re
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from bench import operations, servers
from bench.database import admin_token, bench_url, prepare
from bench.pieces import parse_variant
from bench.run import OPERATIONS, usergraph_env

REQUESTS = {"a": 300, "b": 20}
WARMUP = {"a": 50, "b": 5}


def _counted(pid: int, out: Path, action: str) -> int:
    """Run `callgrind_control` on the server; for a dump, return the instructions counted since zeroing."""
    before = set(out.parent.glob(out.name + "*"))
    subprocess.run(["callgrind_control", action, str(pid)], check=True, capture_output=True)
    if action != "-d":
        return 0
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        for dump in set(out.parent.glob(out.name + "*")) - before:
            match = re.search(r"^(?:summary|totals): (\d+)", dump.read_text(errors="replace"), re.M)
            if match:
                return int(match.group(1))
        time.sleep(0.5)
    raise RuntimeError("callgrind wrote no dump")


def measure(tree: Path, env: dict[str, str], url: str, token: str, only: list[str]) -> dict[str, float]:
    out = Path(tempfile.mkdtemp(prefix="bench-callgrind-")) / "callgrind.out"

    def under_callgrind(port: int) -> list[str]:
        return ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", "--dump-instr=no",
                *servers.usergraph_command(port)]

    results = {}
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    with servers.running("callgrind", under_callgrind, {**usergraph_env(url), **env}, wait=600, root=tree) as server:
        with httpx.Client(base_url=server.url, headers=headers, timeout=120) as client:
            for key in only:
                label, query = OPERATIONS[key]
                for _ in range(WARMUP[key]):
                    client.post("/graphql", json={"query": query}).raise_for_status()
                _counted(server.process.pid, out, "-z")
                for _ in range(REQUESTS[key]):
                    response = client.post("/graphql", json={"query": query})
                    if response.status_code != 200 or operations.problem(200, response.json()):
                        raise RuntimeError(f"{label}: {response.status_code} {response.text[:300]}")
                results[label] = _counted(server.process.pid, out, "-d") / REQUESTS[key]
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variant", action="append", default=[], help="NAME=PATH[:KEY=VALUE,...]")
    parser.add_argument("--only", default="a,b")
    parser.add_argument("--parallel", type=int, default=2, help="servers under valgrind at once")
    args = parser.parse_args()
    url = bench_url()
    asyncio.run(prepare(url, users=10_000, sessions_per_user=3, fresh=False))
    token = asyncio.run(admin_token(url))
    trees = [("all on", Path(".").resolve(), {})] + [parse_variant(v) for v in args.variant]
    only = args.only.split(",")
    with ThreadPoolExecutor(args.parallel) as pool:
        futures = {name: pool.submit(measure, tree, env, url, token, only) for name, tree, env in trees}
        results = {name: future.result() for name, future in futures.items()}
    labels = list(results["all on"])
    print("| piece off | " + " | ".join(f"{label}: instructions/request (off/on)" for label in labels) + " |")
    print("|---|" + "--:|" * len(labels))
    for name, counts in results.items():
        cells = [f"{counts[label]:,.0f}" + ("" if name == "all on" else f" ({counts[label] / results['all on'][label] - 1:+.1%})")
                 for label in labels]
        print(f"| {name} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
