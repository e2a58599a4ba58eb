"""Background load: N clients signing in back to back for a while (run as its own process).

Prints one JSON line: {"sign_ins": ok count, "failures": n, "per_s": rate}. Used to see whether
Argon2 hashing stalls other requests.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import time

import httpx

from bench.database import BENCH_USER_AGENT
from bench.operations import SIGN_IN


async def client(http: httpx.AsyncClient, emails, password: str, deadline: float, counts: dict) -> None:
    while time.monotonic() < deadline:
        variables = {"input": {"email": next(emails), "password": password}}
        try:
            response = await http.post("/graphql", json={"query": SIGN_IN, "variables": variables})
            payload = response.json()
            ok = bool(((payload.get("data") or {}).get("signIn") or {}).get("token"))
        except (httpx.HTTPError, ValueError):
            ok = False
        counts["sign_ins" if ok else "failures"] += 1


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--emails", required=True, help="comma-separated")
    args = parser.parse_args()
    emails = itertools.cycle(args.emails.split(","))
    counts = {"sign_ins": 0, "failures": 0}
    started = time.monotonic()
    headers = {"User-Agent": f"{BENCH_USER_AGENT}-signin"}
    limits = httpx.Limits(max_connections=args.clients)
    async with httpx.AsyncClient(base_url=args.url, headers=headers, limits=limits, timeout=60) as http:
        await asyncio.gather(
            *(client(http, emails, args.password, started + args.seconds, counts) for _ in range(args.clients))
        )
    elapsed = time.monotonic() - started
    print(json.dumps({**counts, "per_s": round(counts["sign_ins"] / elapsed, 1)}))


if __name__ == "__main__":
    asyncio.run(main())
