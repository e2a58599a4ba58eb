"""GraphQL operations of the email flows, as a frontend sends them."""

from __future__ import annotations

from typing import Any

REQUEST_RESET = """
mutation ($email: String!) { requestPasswordReset(input: {email: $email}) { ok errors { field code message } } }"""
RESET = """
mutation ($token: String!, $password: String!) {
  resetPassword(input: {token: $token, newPassword: $password}) { ok errors { field code message } }
}"""
REQUEST_VERIFICATION = """
mutation ($email: String) { requestEmailVerification(email: $email) { ok errors { field code message } } }"""
VERIFY = """
mutation ($token: String!) {
  verifyEmail(input: {token: $token}) { user { id email emailVerified } errors { field code message } }
}"""
REQUEST_CHANGE = """
mutation ($email: String!, $password: String!) {
  requestEmailChange(input: {newEmail: $email, password: $password}) { ok errors { field code message } }
}"""
CONFIRM_CHANGE = """
mutation ($token: String!) {
  confirmEmailChange(input: {token: $token}) { user { id email emailVerified } errors { field code message } }
}"""
CHANGE_PASSWORD = """
mutation ($current: String!, $new: String!) {
  changePassword(input: {currentPassword: $current, newPassword: $new}) { user { id } errors { code } }
}"""
NEW_PASSWORD = "purple elephant dancing quietly"


async def call(client, query: str, field: str, bearer: str | None = None, **variables: Any) -> dict[str, Any]:
    body = await client.gql(query, variables, token=bearer)
    assert "errors" not in body, body
    return body["data"][field]


async def request_reset(client, email: str) -> dict[str, Any]:
    return await call(client, REQUEST_RESET, "requestPasswordReset", email=email)


async def reset(client, token: str, password: str = NEW_PASSWORD) -> dict[str, Any]:
    return await call(client, RESET, "resetPassword", token=token, password=password)


async def verify(client, token: str) -> dict[str, Any]:
    return await call(client, VERIFY, "verifyEmail", token=token)


async def request_change(client, viewer_token: str, email: str, password: str) -> dict[str, Any]:
    return await call(client, REQUEST_CHANGE, "requestEmailChange", bearer=viewer_token, email=email, password=password)


async def confirm_change(client, token: str) -> dict[str, Any]:
    return await call(client, CONFIRM_CHANGE, "confirmEmailChange", token=token)


def error_codes(payload: dict[str, Any]) -> list[str]:
    return [error["code"] for error in payload["errors"]]

