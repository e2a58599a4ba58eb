"""The benchmark: usergraph against a bare asyncpg baseline on the same seeded PostgreSQL database.

    uv run python -m bench.run [--seconds 10] [--warmup 3] [--only a,b,tiny,signin,statements] [--record]

Prints a markdown table (requests/s, p50, p99, server RSS); `--record` also appends it to bench/README.md.
Operations that answer with GraphQL errors (not implemented yet) are reported as "n/a", never a crash.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

if __package__ in (None, ""):  # run as `python bench/run.py`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402

from bench import operations, servers, wrk  # noqa: E402
from bench.database import ROOT, admin_token, bench_url, demo_emails, libpq, prepare  # noqa: E402
from db.services.seed import DEMO_PASSWORD  # noqa: E402

OPERATIONS = {"a": ("(a) viewer", operations.VIEWER), "b": ("(b) users 100 x sessions 5", operations.USERS)}
# Settings a future schema may offer to switch Strawberry's parser/validation caches (the hook).
CACHE_TOGGLE_SETTINGS = ("graphql_caches", "graphql_cache", "query_cache", "parser_cache")
SIGN_IN_CLIENTS = 20
BENCH_SECRET_KEY = "bench-only key; never used outside the benchmark"
QUIET_LOG_SETTINGS = {"access_log": "false", "log_level": "warning"}  # used when Settings has them


@dataclass
class Row:
    operation: str
    server: str
    result: wrk.WrkResult | None
    rss_mib: float | None
    cpu_ms: float | None = None
    note: str = ""


def probe(server: servers.Server, query: str, token: str | None, variables: dict | None = None):
    """(problem or None, decoded body) for one request."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        response = httpx.post(server.graphql_url, json={"query": query, "variables": variables or {}},
                              headers=headers, timeout=60)
        body = response.json()
    except (httpx.HTTPError, ValueError) as error:
        return f"{type(error).__name__}: {error}", None
    return operations.problem(response.status_code, body), body


def measure(server, label, query, token, args, *, reference=None) -> tuple[Row, dict | None]:
    problem, body = probe(server, query, token)
    if problem:
        return Row(label, server.name, None, None, None, f"n/a ({problem})"), None
    note = ""
    if reference is not None:
        note = "same JSON as baseline" if reference == body else "JSON differs from baseline"
    result, cpu_ms = load(server, query, token, args)
    if result.errors:
        note = f"{note}; {result.errors} errors".lstrip("; ")
    return Row(label, server.name, result, server.rss_mib(), cpu_ms, note), body


def load(server, query, token, args) -> tuple[wrk.WrkResult, float]:
    """Warm up, then measure; also the server's CPU time per request during the measured run, which
    (unlike requests/s) barely depends on what else the shared machine is doing."""
    if args.warmup > 0:
        wrk.run(server.graphql_url, query, token, seconds=args.warmup, connections=args.connections, latency=False)
    cpu_before = server.cpu_seconds()
    result = wrk.run(server.graphql_url, query, token, seconds=args.seconds, connections=args.connections)
    cpu_ms = (server.cpu_seconds() - cpu_before) * 1000 / max(result.requests, 1)
    return result, cpu_ms


def usergraph_env(url: str, **extra: str) -> dict[str, str]:
    """Production settings; access logs off as soon as a setting allows it (they cost time per request)."""
    from api.settings import Settings

    quiet = {name.upper(): value for name, value in QUIET_LOG_SETTINGS.items() if name in Settings.model_fields}
    # Production also asks for a SECRET_KEY and a way to send mail; the benchmark sends none.
    needed = {"SECRET_KEY": BENCH_SECRET_KEY, "MAIL_BACKEND": "log"}
    return {"DATABASE_URL": url, "ENVIRONMENT": "production", **needed, **quiet, **extra}


def sign_in_p99(server, token, url, args) -> str:
    """p99 of (a) while 20 clients sign in continuously; n/a until the signIn mutation exists."""
    emails = asyncio.run(demo_emails(url, SIGN_IN_CLIENTS * 5))
    variables = {"input": {"email": emails[0], "password": DEMO_PASSWORD}}
    problem, body = probe(server, operations.SIGN_IN, None, variables)
    if problem:
        missing = "signIn" in problem or "mutation" in problem.lower()
        return "n/a (signIn not available)" if missing else f"n/a ({problem})"
    if not (body["data"]["signIn"] or {}).get("token"):
        return f"n/a (signIn refused the demo user: {body['data']['signIn'].get('errors')})"
    signing_in = subprocess.Popen(
        [sys.executable, "-m", "bench.signin_load", "--url", server.url, "--clients", str(SIGN_IN_CLIENTS),
         "--seconds", str(args.warmup + args.seconds + 1), "--password", DEMO_PASSWORD,
         "--emails", ",".join(emails)],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE, text=True,
    )
    try:
        result, _ = load(server, operations.VIEWER, token, args)
    finally:
        output, _ = signing_in.communicate(timeout=120)
    sign_ins = json.loads(output.strip().splitlines()[-1]) if output.strip() else {}
    return (f"p99 {result.p99_ms:.1f} ms, p50 {result.p50_ms:.1f} ms, {result.requests_per_s:,.0f} req/s "
            f"(sign-ins: {sign_ins.get('per_s', '?')}/s, {sign_ins.get('failures', '?')} failed)")


def cache_toggle_setting() -> str | None:
    from api.settings import Settings

    return next((name for name in CACHE_TOGGLE_SETTINGS if name in Settings.model_fields), None)


def tiny_query(server, args) -> str:
    problem, _ = probe(server, operations.TINY, None)
    if problem:
        return f"n/a ({problem})"
    result, cpu_ms = load(server, operations.TINY, None, args)
    return (f"p50 {result.p50_ms:.2f} ms, p99 {result.p99_ms:.2f} ms, {result.requests_per_s:,.0f} req/s, "
            f"server CPU {cpu_ms:.2f} ms/request")


def run_usergraph(url, token, args, references) -> tuple[list[Row], dict[str, str]]:
    rows, extras = [], {}
    with servers.running("usergraph", servers.usergraph_command, usergraph_env(url)) as server:
        for key in ("a", "b"):
            if key in args.only:
                label, query = OPERATIONS[key]
                rows.append(measure(server, label, query, token, args, reference=references.get(key))[0])
        if "tiny" in args.only:
            extras["tiny"] = tiny_query(server, args)
        if "signin" in args.only:
            extras["signin"] = sign_in_p99(server, token, url, args)
    if "tiny" in args.only:
        setting = cache_toggle_setting()
        if setting is None:
            extras["tiny caches"] = "n/a (no setting toggles the parser/validation caches yet)"
        else:
            timings = []
            for value in ("false", "true"):
                env = usergraph_env(url, **{setting.upper(): value})
                with servers.running("usergraph", servers.usergraph_command, env) as server:
                    timings.append(f"{setting}={value}: {tiny_query(server, args)}")
            extras["tiny caches"] = "; ".join(timings)
    return rows, extras


def run_baseline(url, token, args) -> tuple[list[Row], dict[str, dict]]:
    rows, references = [], {}
    with servers.running("baseline", servers.baseline_command, {"DATABASE_URL": libpq(url)}) as server:
        for key in ("a", "b"):
            if key in args.only:
                label, query = OPERATIONS[key]
                row, body = measure(server, label, query, token, args)
                rows.append(row)
                if body is not None:
                    references[key] = body
    return rows, references


def statement_counts(url: str) -> dict:
    output = subprocess.run(
        [sys.executable, "-m", "bench.count_statements", "--database-url", url],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
    )
    if output.returncode:
        return {"error": output.stderr.strip().splitlines()[-1] if output.stderr.strip() else "failed"}
    return json.loads(output.stdout.strip().splitlines()[-1])


def machine() -> str:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    return f"{os.cpu_count()} CPUs ({model}), load average at start {load}, Python {platform.python_version()}"


def commit() -> str:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()

    return git("rev-parse", "--short", "HEAD") + ("-dirty" if git("status", "--porcelain") else "")


def fmt(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def report(rows: list[Row], extras: dict[str, str], statements: dict, header: str, args) -> str:
    lines = [header, "", "| operation | server | req/s | p50 ms | p99 ms | RSS MiB | CPU ms/req | note |",
             "|---|---|--:|--:|--:|--:|--:|---|"]
    for row in rows:
        r = row.result
        lines.append(f"| {row.operation} | {row.server} | {fmt(r and r.requests_per_s, 0)} | "
                     f"{fmt(r and r.p50_ms, 2)} | {fmt(r and r.p99_ms, 2)} | {fmt(row.rss_mib)} | "
                     f"{fmt(row.cpu_ms, 2)} | {row.note} |")
    for label, _ in OPERATIONS.values():
        pair = {row.server: row for row in rows if row.operation == label}
        if all(pair.get(name) and pair[name].result for name in ("usergraph", "baseline")):
            ug, base = pair["usergraph"], pair["baseline"]
            lines.append(
                f"| {label} | usergraph / baseline | {ug.result.requests_per_s / base.result.requests_per_s:.3f}x | "
                f"{ug.result.p50_ms / base.result.p50_ms:.1f}x | {ug.result.p99_ms / base.result.p99_ms:.1f}x | "
                f"{ug.rss_mib / base.rss_mib:.1f}x | {ug.cpu_ms / base.cpu_ms:.1f}x | |")
        elif any(row.operation == label for row in rows):
            lines.append(f"| {label} | usergraph / baseline | n/a | | | | | |")
    lines.append("")
    if statements:
        counts = "; ".join(
            f"{name}: {value['statements']} statements, {value['round_trips']} round trips"
            if isinstance(value, dict) else f"{name}: {value}"
            for name, value in statements.items()
        )
        lines.append(f"- SQL per request (usergraph, in-process; round trips include BEGIN/COMMIT and the "
                     f"pool pre-ping): {counts}")
    if "signin" in extras:
        lines.append(f"- (a) viewer while {SIGN_IN_CLIENTS} clients sign in continuously: {extras['signin']}")
    if "tiny" in extras:
        lines.append(f"- `{{ __typename }}` on usergraph (as configured): {extras['tiny']}")
        lines.append(f"- `{{ __typename }}` with / without parser+validation caches: {extras['tiny caches']}")
    lines.append(f"- wrk -t2 -c{args.connections}, {args.warmup:g} s warm-up then {args.seconds:g} s measured, "
                 "one uvicorn worker per server, loopback; RSS read from /proc after the run; "
                 "CPU ms/req = server process CPU time during the measured run / requests")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description="usergraph vs. a bare asyncpg baseline (wrk on loopback)")
    parser.add_argument("--seconds", type=float, default=10, help="measured seconds per run (default 10)")
    parser.add_argument("--warmup", type=float, default=3, help="warm-up seconds per run (default 3)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--only", default="a,b,tiny,signin,statements",
                        help="comma-separated subset of a,b,tiny,signin,statements")
    parser.add_argument("--users", type=int, default=10_000, help="users to seed into an empty bench database")
    parser.add_argument("--sessions-per-user", type=int, default=3)
    parser.add_argument("--fresh", action="store_true", help="drop and recreate the bench database first")
    parser.add_argument("--record", action="store_true", help="append the results to bench/README.md")
    parser.add_argument("--no-baseline", action="store_true", help="measure usergraph only (comparisons)")
    args = parser.parse_args()
    args.only = set(args.only.split(","))
    if not shutil.which("wrk"):
        print("bench: wrk is missing (Debian: apt-get install -y wrk)", file=sys.stderr)
        return 1

    url = bench_url()
    users = asyncio.run(prepare(url, users=args.users, sessions_per_user=args.sessions_per_user, fresh=args.fresh))
    started = datetime.now(UTC)
    header = (f"### {started:%Y-%m-%d %H:%M} UTC, commit {commit()}\n\n"
              f"Machine: {machine()}. Data: {users:,} users x {args.sessions_per_user} sessions.")
    print(header, file=sys.stderr)
    # Statement counting first: it replaces the benchmark's admin session with its own.
    statements = statement_counts(url) if "statements" in args.only else {}
    token = asyncio.run(admin_token(url))
    began = time.monotonic()
    baseline_rows, references = run_baseline(url, token, args) if args.only & {"a", "b"} and not args.no_baseline else ([], {})
    usergraph_rows, extras = (
        run_usergraph(url, token, args, references) if args.only & {"a", "b", "tiny", "signin"} else ([], {})
    )
    rows = [row for pair in zip(baseline_rows, usergraph_rows) for row in pair] or baseline_rows + usergraph_rows
    text = report(rows, extras, statements, header, args)
    print(text)
    print(f"(took {time.monotonic() - began:.0f} s)", file=sys.stderr)
    if args.record:
        readme = Path(__file__).with_name("README.md")
        with readme.open("a") as out:
            out.write("\n" + text)
        print(f"appended to {readme}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
