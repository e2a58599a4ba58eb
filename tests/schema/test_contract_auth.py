"""CONTRACT.md, Authentication and Transport: the token's shape, the cookie set by signIn as well as
signUp, and the GRAPHIQL setting either way."""

from __future__ import annotations

import re

import pytest

from tests.support.auth import PASSWORD, SIGN_IN, SIGN_UP, sign_up

URL_SAFE = re.compile(r"^[A-Za-z0-9_-]+$")
# 256 bits in a 64-character alphabet (6 bits a character) need at least 43 characters.
MIN_TOKEN_LENGTH = 43


async def test_tokens_are_url_safe_long_enough_for_256_bits_and_never_repeat(client):
    tokens = [(await sign_up(client))["token"]]
    for _ in range(5):
        body = await client.gql(SIGN_IN, {"input": {"email": "ann@example.com", "password": PASSWORD}})
        tokens.append(body["data"]["signIn"]["token"])
    for token in tokens:
        assert URL_SAFE.match(token) and len(token) >= MIN_TOKEN_LENGTH, token
    assert len(set(tokens)) == len(tokens)


def _cookie_attributes(response, settings) -> dict[str, str]:
    [cookie] = response.headers.get_list("set-cookie")
    name_value, *attributes = [part.strip() for part in cookie.split(";")]
    name, _, value = name_value.partition("=")
    assert name == settings.cookie_name
    parsed = {"value": value}
    for attribute in attributes:
        key, _, val = attribute.partition("=")
        parsed[key.lower()] = val.lower()
    return parsed


@pytest.mark.parametrize("mutation", ["signUp", "signIn"])
@pytest.mark.parametrize("debug", [False, True])
async def test_sign_up_and_sign_in_set_an_http_only_same_site_lax_cookie_secure_unless_debug(
    make_client, settings, mutation, debug
):
    async with make_client(debug=debug) as client:
        if mutation == "signIn":
            await sign_up(client)
        query = SIGN_UP if mutation == "signUp" else SIGN_IN
        variables = {"email": "ann@example.com", "password": PASSWORD}
        if mutation == "signUp":
            variables["name"] = "Ann"
        response = await client.post("/graphql", json={"query": query, "variables": {"input": variables}})
    token = response.json()["data"][mutation]["token"]
    cookie = _cookie_attributes(response, settings)
    assert cookie["value"] == token
    assert "httponly" in cookie and cookie["samesite"] == "lax" and cookie["path"] == "/"
    assert ("secure" in cookie) is (not debug)


async def test_a_refused_sign_in_sets_no_cookie(client):
    await sign_up(client)
    client.cookies.clear()
    response = await client.post("/graphql", json={"query": SIGN_IN, "variables": {
        "input": {"email": "ann@example.com", "password": "not the password at all"}}})
    assert response.json()["data"]["signIn"]["token"] is None
    assert "set-cookie" not in response.headers


@pytest.mark.parametrize(("environment", "graphiql", "served"), [
    ("development", None, True), ("development", False, False),
    ("production", None, False), ("production", True, True),
])
async def test_graphiql_follows_the_setting_and_defaults_to_the_environment(make_client, environment, graphiql, served):
    async with make_client(environment=environment, graphiql=graphiql) as client:
        page = await client.get("/graphql", headers={"Accept": "text/html"})
        query = await client.get("/graphql", params={"query": "{ __typename }"})
    assert (page.status_code == 200 and "graphiql" in page.text.lower()) is served
    assert query.json() == {"data": {"__typename": "Query"}}  # the API itself answers either way


async def test_an_unknown_email_costs_the_same_argon2_verification_as_a_wrong_password(client, monkeypatch):
    """Counted, not timed: the real hasher runs each time; a spy only counts what it verifies."""
    from argon2 import PasswordHasher

    await sign_up(client)
    verified: list[tuple[int, int]] = []
    real_verify = PasswordHasher.verify

    def counting_verify(self, hash, password):
        verified.append((self.time_cost, self.memory_cost))
        return real_verify(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting_verify)
    for email in ("bob@example.com", "ann@example.com"):  # unknown email, then a known one
        body = await client.gql(SIGN_IN, {"input": {"email": email, "password": "not the password at all"}})
        assert body["data"]["signIn"]["errors"][0]["code"] == "INVALID_CREDENTIALS"
    unknown, wrong = verified[: len(verified) // 2], verified[len(verified) // 2 :]
    assert len(verified) == 2 and unknown == wrong
