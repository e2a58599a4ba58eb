"""Two-factor test helpers: a clock the app checks codes at, codes computed from the secret the API
returned, and the set-up done through the API."""

from __future__ import annotations

import time
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pyotp

from tests.support.auth import PASSWORD, sign_up

BEGIN = """
mutation ($password: String!) {
  beginTwoFactorSetup(input: {password: $password}) { secret otpauthUri qrCodeSvg errors { field message code } }
}"""
CONFIRM = """
mutation ($code: String!) {
  confirmTwoFactorSetup(input: {code: $code}) { recoveryCodes errors { field message code } }
}"""
VERIFY = """
mutation ($challenge: String!, $code: String!) {
  verifyTwoFactor(input: {challenge: $challenge, code: $code}) {
    token twoFactorChallenge
    session { id status isCurrent }
    user { id email twoFactorEnabled lastSignInAt }
    errors { field message code }
  }
}"""
SIGN_IN_2FA = """
mutation ($input: SignInInput!) {
  signIn(input: $input) { token twoFactorChallenge session { id } user { id } errors { field message code } }
}"""
DISABLE = """
mutation ($password: String!, $code: String!) {
  disableTwoFactor(input: {password: $password, code: $code}) { user { twoFactorEnabled } errors { field message code } }
}"""
REGENERATE = """
mutation ($password: String!) {
  regenerateRecoveryCodes(input: {password: $password}) { recoveryCodes errors { field message code } }
}"""
RESET = """
mutation ($id: ID!) { resetTwoFactor(userId: $id) { user { id twoFactorEnabled } errors { field message code } } }
"""
DELETE_VIEWER = """
mutation ($input: DeleteViewerInput!) { deleteViewer(input: $input) { deletedUserId errors { field message code } } }
"""
VIEWER_2FA = "{ viewer { id email twoFactorEnabled } }"


class Clock:
    """The time the app checks codes at: starts 10 s into a 30-second step near the real time (so sign-in's
    own clock and this one agree on what "5 minutes" means) and moves only when the test moves it."""

    def __init__(self) -> None:
        self.now = datetime.fromtimestamp((int(time.time()) // 30) * 30 + 10, UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)

    def code(self, secret: str, steps: int = 0) -> str:
        """The authenticator's code `steps` 30-second steps from now."""
        return pyotp.TOTP(secret).at(self.now + timedelta(seconds=30 * steps))


def wrong_code(secret: str, around: datetime) -> str:
    """A six-digit code that no step within two of `around` has."""
    totp = pyotp.TOTP(secret)
    taken = {totp.at(around + timedelta(seconds=30 * step)) for step in range(-2, 3)}
    return next(code for code in (f"{n:06d}" for n in range(1000000)) if code not in taken)


@asynccontextmanager
async def clocked_client(make_client, monkeypatch, clock: Clock, **overrides: Any):
    """An app whose two-factor policy reads `clock`."""
    import api.policies

    built = api.policies.two_factor_policy
    monkeypatch.setattr(api.policies, "two_factor_policy", lambda settings: replace(built(settings), clock=clock))
    async with make_client(**overrides) as client:
        yield client


@dataclass
class TwoFactorUser:
    email: str
    user_id: str
    token: str  # a session from before two-factor was turned on
    secret: str
    recovery_codes: list[str]


async def user_with_two_factor(client, clock: Clock, email: str = "ann@example.com") -> TwoFactorUser:
    """Sign up, then turn two-factor on through the API (the confirming code's step counts as used)."""
    signed_up = await sign_up(client, email=email)
    token = signed_up["token"]
    begun = (await client.gql(BEGIN, {"password": PASSWORD}, token=token))["data"]["beginTwoFactorSetup"]
    assert begun["errors"] == [], begun
    confirmed = (await client.gql(CONFIRM, {"code": clock.code(begun["secret"])}, token=token))["data"]
    assert confirmed["confirmTwoFactorSetup"]["errors"] == [], confirmed
    client.cookies.clear()
    clock.advance(30)  # the confirming code's step is used up; tests start on a fresh one
    return TwoFactorUser(email, signed_up["user"]["id"], token, begun["secret"],
                         confirmed["confirmTwoFactorSetup"]["recoveryCodes"])


async def challenge_for(client, email: str = "ann@example.com", password: str = PASSWORD) -> str:
    body = await client.gql(SIGN_IN_2FA, {"input": {"email": email, "password": password}})
    payload = body["data"]["signIn"]
    assert payload["errors"] == [] and payload["twoFactorChallenge"], payload
    return payload["twoFactorChallenge"]


async def verify(client, challenge: str, code: str) -> dict[str, Any]:
    return (await client.gql(VERIFY, {"challenge": challenge, "code": code}))["data"]["verifyTwoFactor"]

