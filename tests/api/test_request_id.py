"""Every response carries an X-Request-ID, the client's own when it sent a sane one; an unsafe one (control
characters, CR/LF, non-ASCII, too long) is replaced and never reaches a response header or a log line."""

from __future__ import annotations

import logging
import re
import socket

import pytest

from api.logging import TextFormatter
from tests.support.server import running_server

GENERATED = re.compile(r"[0-9a-f]{32}")

# Raw header values as bytes, each holding a marker that must not come back. httpx puts these bytes into
# the ASGI scope unchanged, so the app sees exactly what a lax HTTP server would hand it.
UNSAFE = {
    "trailing LF": b"marker-lf\n",
    "trailing CRLF": b"marker-crlf\r\n",
    "CRLF header injection": b"marker-inject\r\nSet-Cookie: session=forged",
    "CRLF log line forgery": b"marker-forge\n2026-01-01 00:00:00,000 INFO    usergraph.access GET /admin 200",
    "bare CR": b"marker\rcr",
    "NUL": b"marker\x00nul",
    "ANSI escape": b"\x1b[31mmarker-esc",
    "DEL": b"marker\x7fdel",
    "tab": b"marker\ttab",
    "UTF-8": "marker-caf\u00e9".encode(),
    "latin-1 byte": b"marker-\xe9",
    "space": b"marker space",
    "129 characters": b"marker" + b"x" * 123,
    "empty": b"",
}


@pytest.fixture
def access_records(caplog):
    caplog.set_level(logging.DEBUG)

    def records() -> list[logging.LogRecord]:
        return [record for record in caplog.records if record.name == "usergraph.access"]

    return records


async def test_response_has_a_generated_request_id(client):
    response = await client.get("/health")
    assert GENERATED.fullmatch(response.headers["x-request-id"])


async def test_client_request_id_is_echoed_and_logged(client, access_records):
    response = await client.post("/graphql", json={"query": "{ __typename }"}, headers={"X-Request-ID": "abc-123"})
    assert response.headers["x-request-id"] == "abc-123"
    assert [record.request_id for record in access_records()] == ["abc-123"]


async def test_the_longest_sane_request_id_is_kept(client):
    sane = "A-z.0:9_" * 16  # 128 characters, every allowed kind
    response = await client.get("/health", headers={"X-Request-ID": sane})
    assert response.headers["x-request-id"] == sane


@pytest.mark.parametrize("raw", UNSAFE.values(), ids=UNSAFE.keys())
async def test_unsafe_request_id_is_replaced_in_the_response_and_the_log(client, caplog, access_records, raw):
    response = await client.get("/health", headers=[(b"X-Request-ID", raw)])

    [echoed] = response.headers.get_list("x-request-id")
    assert GENERATED.fullmatch(echoed), repr(echoed)
    assert "set-cookie" not in response.headers
    [record] = access_records()
    assert record.request_id == echoed
    for record in caplog.records:
        line = TextFormatter().format(record)
        assert "marker" not in line and "\n" not in line and "\r" not in line, repr(line)


# What a client can put on the wire: the real server's HTTP parser (httptools) refuses CR, LF and other
# control characters in a header value with a 400 before the app runs; a tab, a non-ASCII byte or a header
# split by CRLF get through to the app, which replaces them.
WIRE_REFUSED = {
    **{name: UNSAFE[name] for name in ("trailing LF", "bare CR", "NUL", "ANSI escape", "DEL")},
    "obs-fold continuation line": b"marker-fold\r\n folded",
}
WIRE_REPLACED = {
    "tab": UNSAFE["tab"],
    "latin-1 byte": UNSAFE["latin-1 byte"],
    "129 characters": UNSAFE["129 characters"],
}


def _exchange(port: int, raw_value: bytes) -> tuple[bytes, list[bytes]]:
    """Send one GET /health with the raw X-Request-ID bytes; return the status line and response headers."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(
            b"GET /health HTTP/1.1\r\nHost: test\r\nX-Request-ID: " + raw_value + b"\r\nConnection: close\r\n\r\n"
        )
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    status, *headers = reply.partition(b"\r\n\r\n")[0].split(b"\r\n")
    return status, headers


def test_the_real_server_never_echoes_or_logs_control_characters(tmp_path, database_url):
    env = {"DATABASE_URL": database_url, "LOG_FORMAT": "text"}
    with running_server(env, "--no-migrate", tmp_path=tmp_path) as server:
        port = int(server.base_url.rsplit(":", 1)[1])
        refused = {name: _exchange(port, raw) for name, raw in WIRE_REFUSED.items()}
        replaced = {name: _exchange(port, raw) for name, raw in WIRE_REPLACED.items()}
        split = _exchange(port, b"marker-split\r\nX-Injected: yes")  # a second header, not part of the value
    log = server.log()

    for name, (status, headers) in refused.items():
        assert status.startswith(b"HTTP/1.1 400"), (name, status)
        assert not any(b"marker" in header or header.lower().startswith(b"x-request-id") for header in headers), name
    for name, (status, headers) in replaced.items():
        assert status.startswith(b"HTTP/1.1 200"), (name, status)
        [echoed] = [value.strip() for key, _, value in (h.partition(b":") for h in headers) if key.lower() == b"x-request-id"]
        assert GENERATED.fullmatch(echoed.decode()), (name, echoed)
        assert f"[{echoed.decode()}] GET /health 200" in log, name  # the access line carries the replacement
    status, headers = split
    assert status.startswith(b"HTTP/1.1 200") and b"x-request-id: marker-split" in headers
    assert not any(header.lower().startswith(b"x-injected") for header in headers)

    assert "marker" not in log.replace("[marker-split]", ""), log
    assert all(char == "\n" or char >= " " for char in log), repr(log)  # no control character in any line
