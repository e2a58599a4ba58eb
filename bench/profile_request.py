"""Profile one operation in-process (the real app through httpx's ASGI transport, no network, no wrk):
wall and CPU time per request, then cProfile's top functions.

    uv run python -m bench.profile_request a|b|tiny [-n 300] [--top 25] [--sort tottime] [--pyinstrument]
        [--setting GC_TUNING=false ...]

PITFALLS.md: under default GC thresholds profilers blame innocent functions; the app tunes the GC in
its lifespan (GC_TUNING, on by default). Also prints the parser/validation cache hit counts.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import logging
import os
import pstats
import time

os.environ.setdefault("ENVIRONMENT", "production")

import httpx  # noqa: E402
from asgi_lifespan import LifespanManager  # noqa: E402

from bench import operations  # noqa: E402
from bench.database import admin_token, bench_url  # noqa: E402

QUERIES = {"a": operations.VIEWER, "b": operations.USERS, "tiny": operations.TINY}


async def profile(url: str, query: str, count: int, *, sampling: bool, overrides: dict[str, str]):
    from api.app import create_app
    from api.settings import Settings

    token = await admin_token(url)
    app = create_app(Settings(database_url=url, environment="production", **overrides))
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app, client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            headers = {"Authorization": f"Bearer {token}"}

            async def send() -> None:
                response = await client.post("/graphql", json={"query": query}, headers=headers)
                if problem := operations.problem(response.status_code, response.json()):
                    raise SystemExit(f"the operation failed: {problem}")

            for _ in range(20):  # warm-up: connections, caches
                await send()
            wall, cpu = time.perf_counter(), time.process_time()
            for _ in range(count):
                await send()
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            print(f"unprofiled: {wall / count * 1000:.2f} ms wall, {cpu / count * 1000:.2f} ms CPU per request")
            checks = app.state.graphql.schema.checks
            print(f"caches: parsed {checks.parsed.cache_info().hits} hits / {checks.parsed.cache_info().misses} misses, "
                  f"validated {checks.validated.cache_info().hits} hits / {checks.validated.cache_info().misses} misses")
            from schema.execution.plan import plan_cache

            plans = plan_cache(app.state.graphql.schema._schema)
            print(f"execution plans: built {plans.built}, served {plans.served}, gave up {plans.gave_up}")
            if sampling:
                from pyinstrument import Profiler

                profiler = Profiler(interval=0.0002, async_mode="disabled")
                profiler.start()
                for _ in range(count):
                    await send()
                profiler.stop()
                return profiler
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(count):
                await send()
            profiler.disable()
    return profiler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("operation", choices=sorted(QUERIES))
    parser.add_argument("-n", type=int, default=300, help="requests to time and to profile")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--sort", default="tottime", help="pstats sort key (tottime, cumulative, ...)")
    parser.add_argument("--database-url", default=bench_url())
    parser.add_argument("--pyinstrument", action="store_true", help="a sampling profile (call tree) instead")
    parser.add_argument("--setting", action="append", default=[], metavar="NAME=VALUE",
                        help="a Settings override, e.g. GC_TUNING=false or GRAPHQL_CACHES=false")
    args = parser.parse_args()
    overrides = dict(item.split("=", 1) for item in args.setting)
    overrides = {name.lower(): value for name, value in overrides.items()}
    logging.getLogger("strawberry.execution").setLevel(logging.CRITICAL)
    profiler = asyncio.run(profile(args.database_url, QUERIES[args.operation], args.n,
                                   sampling=args.pyinstrument, overrides=overrides))
    if args.pyinstrument:
        flat = profiler.output_text(flat=True, show_all=True).splitlines()
        print("\n".join(flat[: args.top + 8]))  # self time per function, highest first
    else:
        pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.top)


if __name__ == "__main__":
    main()
