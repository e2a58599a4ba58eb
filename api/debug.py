"""Test-only routes, mounted when TEST_ENDPOINTS=true outside production: `/debug/sleep` is a slow
request for checking that a shutdown lets in-flight requests finish."""

from __future__ import annotations

import asyncio
import logging

from fastapi import APIRouter, Query

router = APIRouter()
log = logging.getLogger("usergraph.debug")


@router.get("/debug/sleep", include_in_schema=False)
async def sleep(seconds: float = Query(1.0, ge=0, le=30)) -> dict[str, float]:
    log.info("debug sleep started", extra={"seconds": seconds})
    await asyncio.sleep(seconds)
    return {"slept": seconds}
