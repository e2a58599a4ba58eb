"""`GET /health`: is the database answering? Needs no authentication."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

router = APIRouter()


@router.get("/health", include_in_schema=False)
async def health(request: Request) -> JSONResponse:
    database = request.app.state.database
    timeout = request.app.state.settings.health_timeout
    try:
        await database.ping(timeout)
    except TimeoutError:
        return _unhealthy(f"no answer within {timeout:g}s")
    except Exception as error:  # noqa: BLE001 - any failure means unhealthy, with a short reason
        return _unhealthy(type(error).__name__)
    return JSONResponse({"status": "healthy", "database": "ok"})


def _unhealthy(reason: str) -> JSONResponse:
    return JSONResponse({"status": "unhealthy", "database": reason}, status_code=503)
