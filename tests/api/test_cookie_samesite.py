"""COOKIE_SAMESITE: the session cookie's SameSite attribute, the same when it is set and when it is
cleared; `none` always comes with Secure, also under DEBUG (browsers drop SameSite=None without it)."""

import pytest
from pydantic import ValidationError

from api.settings import Settings
from tests.support.auth import PASSWORD, SIGN_UP

SIGN_OUT = "mutation { signOut { session { status } } }"


def attributes(header: str) -> list[str]:
    return [part.strip().lower() for part in header.split(";")]


async def set_and_cleared(client, settings) -> tuple[list[str], list[str]]:
    response = await client.post("/graphql", json={"query": SIGN_UP, "variables": {
        "input": {"email": "ann@example.com", "password": PASSWORD, "name": "Ann"}}})
    token = response.json()["data"]["signUp"]["token"]
    client.cookies.clear()
    client.cookies.set(settings.cookie_name, token)
    cleared = await client.post("/graphql", json={"query": SIGN_OUT})
    assert cleared.json()["data"]["signOut"]["session"]["status"] == "REVOKED"
    return attributes(response.headers["set-cookie"]), attributes(cleared.headers["set-cookie"])


@pytest.mark.parametrize(("setting", "debug", "secure"), [
    ("lax", False, True), ("lax", True, False), ("strict", False, True), ("strict", True, False),
    ("none", False, True), ("none", True, True),
])
async def test_the_cookie_carries_the_configured_samesite(make_client, settings, setting, debug, secure):
    async with make_client(cookie_samesite=setting, debug=debug) as client:
        for cookie in await set_and_cleared(client, settings):
            assert f"samesite={setting}" in cookie and "httponly" in cookie and "path=/" in cookie
            assert ("secure" in cookie) is secure, cookie


def test_lax_is_the_default_and_the_setting_is_read_from_the_environment(monkeypatch):
    assert Settings().cookie_samesite == "lax"
    monkeypatch.setenv("COOKIE_SAMESITE", "None")
    assert Settings().cookie_samesite == "none"
    monkeypatch.setenv("COOKIE_SAMESITE", "sometimes")
    with pytest.raises(ValidationError):
        Settings()
