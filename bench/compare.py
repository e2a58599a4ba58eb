"""Compare two checkouts of usergraph on the wrk benchmark: runs `bench.run` in each, interleaved
(before, after, before, after, ...), and prints the median requests/s and server CPU per request of each.

    uv run python -m bench.compare --before ../usergraph-old [--after .] [--runs 3] [--only a,b]

Single runs drift by 10-25% on a shared machine; interleaving and medians are what make a 5% question
answerable. Each checkout gets a bench database of its own (its migrations may differ).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

from bench.database import bench_url


def run_once(
    tree: Path, database_url: str, only: str, seconds: float, env: dict[str, str] | None = None
) -> dict[str, tuple[float, float]]:
    """{operation: (req/s, CPU ms/request)} of usergraph's rows in one `bench.run` (`env`: settings for
    the server)."""
    output = subprocess.run(
        [sys.executable, "-m", "bench.run", "--only", only, "--seconds", str(seconds), "--no-baseline"],
        cwd=tree, env={**os.environ, **(env or {}), "BENCH_DATABASE_URL": database_url, "PYTHONPATH": str(tree)},
        capture_output=True, text=True, check=True,
    ).stdout
    results = {}
    for line in output.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) >= 7 and cells[1] == "usergraph" and cells[2] not in ("–", "-"):
            results[cells[0]] = (float(cells[2].replace(",", "")), float(cells[6] or "nan"))
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=True)
    parser.add_argument("--after", type=Path, default=Path("."))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", default="a,b")
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args()
    base = bench_url()
    trees = {"before": args.before.resolve(), "after": args.after.resolve()}
    samples: dict[str, dict[str, list[tuple[float, float]]]] = {name: {} for name in trees}
    for run in range(args.runs):
        for name, tree in trees.items():
            for operation, result in run_once(tree, f"{base}_{name}", args.only, args.seconds).items():
                samples[name].setdefault(operation, []).append(result)
                print(f"run {run + 1} {name}: {operation}: {result[0]:,.0f} req/s, {result[1]:.2f} ms CPU",
                      file=sys.stderr)
    print("| operation | before req/s | after req/s | after/before | before CPU ms | after CPU ms |")
    print("|---|--:|--:|--:|--:|--:|")
    for operation in samples["before"]:
        before = samples["before"][operation]
        after = samples["after"].get(operation, [])
        if not after:
            continue
        b_rps, a_rps = statistics.median(r for r, _ in before), statistics.median(r for r, _ in after)
        b_cpu, a_cpu = statistics.median(c for _, c in before), statistics.median(c for _, c in after)
        print(f"| {operation} | {b_rps:,.0f} | {a_rps:,.0f} | {a_rps / b_rps:.3f} | {b_cpu:.2f} | {a_cpu:.2f} |")
    print(f"\nmedians of {args.runs} interleaved runs each; {args.seconds:g} s measured per run")
    return 0


if __name__ == "__main__":
    sys.exit(main())
