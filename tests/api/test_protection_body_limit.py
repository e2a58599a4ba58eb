"""Request bodies over 1 MiB are refused with HTTP 413 (GraphQL-shaped), before being read when the
size is declared and as soon as the limit is passed when the body is streamed."""

from __future__ import annotations

import json
import socket

from api.middleware.body_limit import MAX_BODY_BYTES
from tests.support.server import running_server

CHUNK = 64 * 1024


def _padded_query(size: int) -> bytes:
    """A valid operation padded with insignificant whitespace to exactly `size` bytes of JSON."""
    prefix, suffix = b'{"query": "{ __typename }', b'"}'
    return prefix + b" " * (size - len(prefix) - len(suffix)) + suffix


async def test_a_body_of_exactly_the_limit_is_served(client):
    body = _padded_query(MAX_BODY_BYTES)
    response = await client.post("/graphql", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 200
    assert response.json() == {"data": {"__typename": "Query"}}


async def test_a_declared_oversized_body_is_refused_with_413(client):
    body = _padded_query(MAX_BODY_BYTES + 1)
    response = await client.post("/graphql", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
    assert response.headers["x-request-id"]


async def test_a_streamed_oversized_body_is_cut_off_at_the_limit(client):
    sent = 0
    total_chunks = 4 * MAX_BODY_BYTES // CHUNK

    async def chunks():
        nonlocal sent
        for _ in range(total_chunks):
            sent += 1
            yield b" " * CHUNK

    response = await client.post("/graphql", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert set(response.json()) == {"errors"}
    # The app stopped reading right after the limit, not at the end of the stream.
    assert sent <= MAX_BODY_BYTES // CHUNK + 2 < total_chunks


def test_the_real_server_refuses_without_waiting_for_the_body(tmp_path, database_url):
    """Over TCP: headers promise 8 MiB, only a few bytes follow, yet the 413 comes back."""
    with running_server({"DATABASE_URL": database_url}, "--no-migrate", tmp_path=tmp_path) as server:
        host, port = server.base_url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=30) as sock:
            sock.sendall(
                b"POST /graphql HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
                + f"Content-Length: {8 * MAX_BODY_BYTES}\r\n\r\n".encode()
                + b'{"query": "'
            )
            reply = b""
            while b"\r\n\r\n" not in reply or not reply.rstrip().endswith(b"}"):
                data = sock.recv(65536)
                if not data:
                    break
                reply += data
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413")
    assert json.loads(body)["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
