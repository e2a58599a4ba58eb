"""The GraphQL documents the benchmark sends, and how to tell a usable answer from an error."""

from __future__ import annotations

VIEWER = "query Viewer { viewer { id email name } }"
USERS = (
    "query Users { users(first: 100) { edges { node { id email "
    "sessions(first: 5) { edges { node { id createdAt } } } } } } }"
)
USERS_ONE = (
    "query UsersOne { users(first: 1) { edges { node { id email "
    "sessions(first: 5) { edges { node { id createdAt } } } } } } }"
)
TINY = "{ __typename }"
EVENTS = "query Events { securityEvents(first: 100) { edges { node { id type actor { email } user { email } } } } }"
EVENTS_ONE = "query EventsOne { securityEvents(first: 1) { edges { node { id type actor { email } user { email } } } } }"
SIGN_IN = "mutation SignIn($input: SignInInput!) { signIn(input: $input) { token errors { code message } } }"


def problem(status: int, body: object) -> str | None:
    """None when the response is a successful GraphQL answer, else a short reason for "n/a"."""
    if status != 200:
        return f"HTTP {status}"
    if not isinstance(body, dict):
        return "not a JSON object"
    if body.get("errors"):
        first = body["errors"][0]
        return str(first.get("message", first))[:90]
    if body.get("data") is None:
        return "no data"
    return None
