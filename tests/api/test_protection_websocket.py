"""There is no WebSocket transport: the schema has no subscriptions, and a WebSocket would bypass the
HTTP-only middleware (body limits, access log). A handshake on /graphql is refused for every protocol."""

from __future__ import annotations

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.support.server import running_server


@pytest.fixture(scope="module")
def server(tmp_path_factory, database_url):
    with running_server({"DATABASE_URL": database_url}, "--no-migrate", tmp_path=tmp_path_factory.mktemp("ws")) as server:
        yield server


@pytest.mark.parametrize("subprotocol", ["graphql-transport-ws", "graphql-ws", None])
def test_a_websocket_handshake_on_graphql_is_refused(server, subprotocol):
    url = server.base_url.replace("http://", "ws://") + "/graphql"
    with pytest.raises(InvalidStatus) as refused:
        with connect(url, subprotocols=[subprotocol] if subprotocol else None, open_timeout=10):
            pass
    assert refused.value.response.status_code == 403
