"""What each piece of the speed layer buys: the reference checkout against variants that each switch one
piece off, interleaved (ref, v1, v2, ..., ref, v1, ...), as medians of `bench.run`'s requests/s and server
CPU per request.

    uv run python -m bench.pieces --runs 3 \
        --variant "gc=.:GC_TUNING=false" --variant "bypass=../usergraph-no-bypass"

A variant is NAME=PATH[:KEY=VALUE,...]: a checkout (the same code with one piece removed) and/or settings
that turn a piece off. All share one bench database, so the checkouts must share migrations.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

from bench.compare import run_once
from bench.database import bench_url


def parse_variant(text: str) -> tuple[str, Path, dict[str, str]]:
    name, _, rest = text.partition("=")
    path, _, settings = rest.partition(":")
    env = dict(item.split("=", 1) for item in settings.split(",") if item)
    return name, Path(path or ".").resolve(), env


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", type=Path, default=Path("."))
    parser.add_argument("--variant", action="append", default=[], help="NAME=PATH[:KEY=VALUE,...]")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", default="a,b")
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args()
    trees = [("all on", args.reference.resolve(), {})] + [parse_variant(v) for v in args.variant]
    samples: dict[str, dict[str, list[tuple[float, float]]]] = {name: {} for name, _, _ in trees}
    for run in range(args.runs):
        for name, tree, env in trees:
            for operation, result in run_once(tree, bench_url(), args.only, args.seconds, env).items():
                samples[name].setdefault(operation, []).append(result)
                print(f"run {run + 1} {name}: {operation}: {result[0]:,.0f} req/s, {result[1]:.2f} ms CPU",
                      file=sys.stderr, flush=True)
    reference = samples["all on"]
    operations = list(reference)
    print("| piece off | " + " | ".join(f"{op} req/s (on/off gain) | {op} CPU ms" for op in operations) + " |")
    print("|---|" + "--:|--:|" * len(operations))
    for name, _, _ in trees:
        cells = []
        for op in operations:
            rps = statistics.median(r for r, _ in samples[name].get(op, [(float("nan"), 0)]))
            cpu = statistics.median(c for _, c in samples[name].get(op, [(0, float("nan"))]))
            ref_rps = statistics.median(r for r, _ in reference[op])
            gain = "" if name == "all on" else f" ({ref_rps / rps - 1:+.1%})"
            cells += [f"{rps:,.0f}{gain}", f"{cpu:.3f}"]
        print(f"| {name} | " + " | ".join(cells) + " |")
    print(f"\nmedians of {args.runs} interleaved runs each; {args.seconds:g} s measured per run")
    return 0


if __name__ == "__main__":
    sys.exit(main())
