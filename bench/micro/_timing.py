"""Best-of-N timing for the micro-benchmarks: CPU time per call in microseconds."""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Awaitable, Callable


def per_call_us(function: Callable[[], object], *, calls: int, rounds: int = 5) -> float:
    best = float("inf")
    for _ in range(rounds):
        gc.collect()
        started = time.process_time_ns()
        for _ in range(calls):
            function()
        best = min(best, (time.process_time_ns() - started) / calls / 1000)
    return best


def per_call_us_async(function: Callable[[], Awaitable[object]], *, calls: int, rounds: int = 5) -> float:
    async def round_() -> float:
        started = time.process_time_ns()
        for _ in range(calls):
            await function()
        return (time.process_time_ns() - started) / calls / 1000

    best = float("inf")
    for _ in range(rounds):
        gc.collect()
        best = min(best, asyncio.run(round_()))
    return best
