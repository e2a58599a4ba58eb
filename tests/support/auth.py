"""GraphQL operations and helpers shared by the authentication tests."""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import Any

import httpx
from asgi_lifespan import LifespanManager

from tests.support.client import GraphQLClient

PASSWORD = "correct horse battery staple"

SIGN_UP = """
mutation ($input: SignUpInput!) {
  signUp(input: $input) {
    token
    session { id status isCurrent ipAddress userAgent expiresAt createdAt }
    user { id email name lastSignInAt }
    errors { field message code }
  }
}"""

SIGN_IN = """
mutation ($input: SignInInput!) {
  signIn(input: $input) {
    token
    session { id status isCurrent ipAddress userAgent expiresAt }
    user { id email lastSignInAt }
    errors { field message code }
  }
}"""

VIEWER = "{ viewer { id email name } }"


async def sign_up(client, email="ann@example.com", password=PASSWORD, name="Ann", **kwargs) -> dict[str, Any]:
    body = await client.gql(SIGN_UP, {"input": {"email": email, "password": password, "name": name}}, **kwargs)
    return body["data"]["signUp"]


async def sign_in(client, email="ann@example.com", password=PASSWORD, **kwargs) -> dict[str, Any]:
    body = await client.gql(SIGN_IN, {"input": {"email": email, "password": password}}, **kwargs)
    return body["data"]["signIn"]


def codes(payload: dict[str, Any]) -> list[str]:
    return [error["code"] for error in payload["errors"]]


@asynccontextmanager
async def client_from(settings, peer: str):
    """A client whose TCP peer address is `peer` (the standard client's is 127.0.0.1)."""
    from api.app import create_app

    app = create_app(settings)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app, client=(peer, 40000))
        async with GraphQLClient(transport=transport, base_url="http://testserver") as client:
            yield client
