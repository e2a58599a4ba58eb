"""uvicorn's httptools protocol, sending a response's head and body in one system call.

uvicorn writes the status line and headers, then the body, each straight to the socket: two sends per
response, and on loopback each send also runs the receiving side's TCP processing. Writes made within
one event-loop step are held and sent together at its end instead; a response's head and body are
written in the same step, so a usual response leaves in one send: one system call and one pass through
the loopback's TCP processing less per request, which shows on small responses.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class CoalescingTransport:
    """Forwards to a transport, holding `write`s until the end of the current event-loop step; closing
    sends what is held first."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self.transport = transport
        self._loop = loop
        self._held: list[bytes] = []

    def write(self, data: bytes) -> None:
        if not self._held:
            self._loop.call_soon(self.flush)
        self._held.append(data)

    def flush(self) -> None:
        if self._held:
            data = b"".join(self._held)
            self._held.clear()
            if not self.transport.is_closing():
                self.transport.write(data)

    def close(self) -> None:
        self.flush()
        self.transport.close()

    def __getattr__(self, name: str) -> Any:  # pause_reading, is_closing, get_extra_info, ...
        return getattr(self.transport, name)


class CoalescingHttpToolsProtocol(HttpToolsProtocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(CoalescingTransport(transport, self.loop))  # type: ignore[arg-type]

    def handle_websocket_upgrade(self) -> None:
        # A WebSocket protocol takes the socket over: it gets the plain transport.
        coalescing: CoalescingTransport = self.transport  # type: ignore[assignment]
        coalescing.flush()
        self.transport = coalescing.transport
        super().handle_websocket_upgrade()
