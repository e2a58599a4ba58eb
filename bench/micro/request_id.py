"""The request-ID middleware: api/middleware/request_id.py against asgi-correlation-id's
CorrelationIdMiddleware configured to the same rules (the same header, validator and generator), around
an app that only answers, one request at a time.

    uv run --with asgi-correlation-id python -m bench.micro.request_id
"""

from __future__ import annotations

from api.middleware.request_id import _SANE, RequestIdMiddleware, _random_ids
from bench.micro._timing import per_call_us_async

CALLS = 50_000
HEADERS = [(b"host", b"localhost"), (b"content-type", b"application/json"), (b"accept", b"application/json")]
START = {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]}
BODY = {"type": "http.response.body", "body": b"{}"}


async def app(scope, receive, send) -> None:
    await send(dict(START, headers=list(START["headers"])))
    await send(BODY)


async def receive():
    return {"type": "http.request", "body": b"", "more_body": False}


async def send(_message) -> None:
    return None


def scope(with_id: bool) -> dict:
    headers = [*HEADERS, (b"x-request-id", b"3f2a9c0e-client-id")] if with_id else HEADERS
    return {"type": "http", "method": "POST", "path": "/graphql", "headers": list(headers)}


def main() -> None:
    middlewares = {"bare app (no middleware)": app, "RequestIdMiddleware (ours)": RequestIdMiddleware(app)}
    try:
        import asgi_correlation_id
        from asgi_correlation_id import CorrelationIdMiddleware
    except ImportError:
        print("asgi-correlation-id is not installed: run with `uv run --with asgi-correlation-id ...`")
    else:
        middlewares["CorrelationIdMiddleware, same rules"] = CorrelationIdMiddleware(
            app,
            validator=lambda value: _SANE.fullmatch(value) is not None,
            generator=lambda: f"{_random_ids.getrandbits(128):032x}",
        )
        middlewares["CorrelationIdMiddleware, uuid4 IDs, no validator"] = CorrelationIdMiddleware(app, validator=None)
    for with_id in (False, True):
        print("with a client's X-Request-ID" if with_id else "without X-Request-ID")
        for name, middleware in middlewares.items():
            async def one(middleware=middleware) -> None:
                await middleware(scope(with_id), receive, send)

            print(f"  {per_call_us_async(one, calls=CALLS):6.2f} µs  {name}")


if __name__ == "__main__":
    main()
