"""The baseline: a bare ASGI app on asyncpg answering the two benchmark operations with hand-written SQL.

It is the yardstick for usergraph, not a GraphQL server: it reads the query text only to choose
between `viewer { id email name }` and the admin's `users(first: 100)` page with 5 sessions each,
and answers in the same JSON shape as usergraph. Run: uvicorn bench.baseline.app:app (DATABASE_URL set).
"""

from __future__ import annotations

import base64
import hashlib
import os

import asyncpg
import orjson

VIEWER_SQL = """
SELECT u.id, u.email, u.name, u.role
FROM sessions s JOIN users u ON u.id = s.user_id
WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > now() AND u.is_active
"""
USERS_SQL = "SELECT id, email FROM users ORDER BY created_at, id LIMIT 100"
# The newest 5 active sessions of each user on the page, in one statement (index ix_sessions_user_created).
SESSIONS_SQL = """
SELECT s.user_id, s.id, s.created_at
FROM unnest($1::uuid[]) AS page(user_id)
CROSS JOIN LATERAL (
    SELECT id, user_id, created_at FROM sessions
    WHERE sessions.user_id = page.user_id AND revoked_at IS NULL AND expires_at > now()
    ORDER BY created_at DESC, id DESC LIMIT 5
) s
"""
_JSON = [(b"content-type", b"application/json")]
_pool: asyncpg.Pool | None = None


def global_id(type_name: str, id_) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{id_}".encode()).decode().rstrip("=")


def _libpq_url(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def _bearer_hash(scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return hashlib.sha256(token.strip().encode()).hexdigest()
    return None


def _error(message: str, code: str) -> dict:
    return {"data": None, "errors": [{"message": message, "extensions": {"code": code}}]}


async def viewer(connection, token_hash: str | None) -> dict:
    row = await connection.fetchrow(VIEWER_SQL, token_hash) if token_hash else None
    node = {"id": global_id("User", row["id"]), "email": row["email"], "name": row["name"]} if row else None
    return {"data": {"viewer": node}}


async def users_page(connection, token_hash: str | None) -> dict:
    row = await connection.fetchrow(VIEWER_SQL, token_hash) if token_hash else None
    if row is None:
        return _error("Authentication required", "UNAUTHENTICATED")
    if row["role"] != "ADMIN":
        return _error("Admins only", "FORBIDDEN")
    users = await connection.fetch(USERS_SQL)
    sessions: dict = {user["id"]: [] for user in users}
    for session in await connection.fetch(SESSIONS_SQL, list(sessions)):
        sessions[session["user_id"]].append(
            {"node": {"id": global_id("Session", session["id"]), "createdAt": session["created_at"].isoformat()}}
        )
    edges = [
        {"node": {"id": global_id("User", user["id"]), "email": user["email"], "sessions": {"edges": sessions[user["id"]]}}}
        for user in users
    ]
    return {"data": {"users": {"edges": edges}}}


async def _read_body(receive) -> bytes:
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            return body


async def _respond(send, status: int, payload: dict) -> None:
    await send({"type": "http.response.start", "status": status, "headers": _JSON})
    await send({"type": "http.response.body", "body": orjson.dumps(payload)})


async def app(scope, receive, send) -> None:
    global _pool
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                _pool = await asyncpg.create_pool(_libpq_url(os.environ["DATABASE_URL"]), min_size=5, max_size=10)
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await _pool.close()
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["path"] == "/health":
        await _read_body(receive)
        return await _respond(send, 200, {"status": "healthy"})
    try:
        query = orjson.loads(await _read_body(receive)).get("query") or ""
    except (orjson.JSONDecodeError, AttributeError):
        return await _respond(send, 400, _error("Body is not a JSON object", "BAD_REQUEST"))
    operation = users_page if "users" in query else viewer
    async with _pool.acquire() as connection:
        payload = await operation(connection, _bearer_hash(scope))
    await _respond(send, 200, payload)
