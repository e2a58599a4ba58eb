"""Two-factor through the API (CONTRACT.md, "Two-factor"): set-up, the two-step sign-in, the drift window,
codes used once (also when two requests race), recovery codes, the challenge's life, and the settings.
Codes are computed here from the secret the API returned, at the clock the app checks them at."""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qs, unquote, urlparse

import pytest

from tests.support.auth import PASSWORD, codes, sign_in, sign_up
from tests.support.two_factor import (
    BEGIN,
    CONFIRM,
    DELETE_VIEWER,
    DISABLE,
    REGENERATE,
    VIEWER_2FA,
    challenge_for,
    clocked_client,
    user_with_two_factor,
    verify,
    wrong_code,
)


@pytest.fixture
async def client(make_client, monkeypatch, clock):
    async with clocked_client(make_client, monkeypatch, clock) as client:
        yield client


async def test_set_up_gives_a_secret_and_its_uri_and_stays_off_until_a_current_code_confirms_it(client, clock):
    token = (await sign_up(client))["token"]
    begun = (await client.gql(BEGIN, {"password": PASSWORD}, token=token))["data"]["beginTwoFactorSetup"]
    assert begun["errors"] == []
    uri = urlparse(begun["otpauthUri"])
    assert (uri.scheme, uri.netloc) == ("otpauth", "totp")
    assert unquote(uri.path) == "/usergraph:ann@example.com"
    query = parse_qs(uri.query)
    assert query["secret"] == [begun["secret"]] and query["issuer"] == ["usergraph"]
    assert begun["qrCodeSvg"].startswith("<svg")
    assert (await client.gql(VIEWER_2FA, token=token))["data"]["viewer"]["twoFactorEnabled"] is False

    wrong = (await client.gql(CONFIRM, {"code": wrong_code(begun["secret"], clock.now)}, token=token))["data"]
    assert codes(wrong["confirmTwoFactorSetup"]) == ["INVALID_CODE"]
    assert (await client.gql(VIEWER_2FA, token=token))["data"]["viewer"]["twoFactorEnabled"] is False

    confirmed = (await client.gql(CONFIRM, {"code": clock.code(begun["secret"])}, token=token))["data"]
    recovery = confirmed["confirmTwoFactorSetup"]["recoveryCodes"]
    assert len(recovery) == len(set(recovery)) == 10
    assert (await client.gql(VIEWER_2FA, token=token))["data"]["viewer"]["twoFactorEnabled"] is True
    again = (await client.gql(BEGIN, {"password": PASSWORD}, token=token))["data"]["beginTwoFactorSetup"]
    assert codes(again) == ["INVALID_INPUT"] and again["secret"] is None


async def test_set_up_needs_the_password(client):
    token = (await sign_up(client))["token"]
    begun = (await client.gql(BEGIN, {"password": "not the password"}, token=token))["data"]["beginTwoFactorSetup"]
    assert codes(begun) == ["INVALID_CREDENTIALS"] and begun["secret"] is None


async def test_the_issuer_is_the_app_name_setting(make_client, monkeypatch, clock):
    async with clocked_client(make_client, monkeypatch, clock, app_name="Acme Accounts") as client:
        token = (await sign_up(client))["token"]
        begun = (await client.gql(BEGIN, {"password": PASSWORD}, token=token))["data"]["beginTwoFactorSetup"]
    assert parse_qs(urlparse(begun["otpauthUri"]).query)["issuer"] == ["Acme Accounts"]


async def test_sign_in_gives_a_challenge_and_nothing_else_then_a_code_completes_it_as_sign_in_does(client, clock, settings):
    ann = await user_with_two_factor(client, clock)
    response = await client.post("/graphql", json={
        "query": "mutation ($i: SignInInput!) { signIn(input: $i) { token twoFactorChallenge session { id } "
                 "user { id } errors { code } } }",
        "variables": {"i": {"email": ann.email, "password": PASSWORD}},
    })
    payload = response.json()["data"]["signIn"]
    assert payload["token"] is None and payload["session"] is None and payload["user"] is None
    assert payload["errors"] == [] and len(payload["twoFactorChallenge"]) >= 43
    assert "set-cookie" not in response.headers

    response = await client.post("/graphql", json={
        "query": "mutation ($c: String!, $k: String!) { verifyTwoFactor(input: {challenge: $c, code: $k}) "
                 "{ token twoFactorChallenge session { status isCurrent } user { email twoFactorEnabled } errors { code } } }",
        "variables": {"c": payload["twoFactorChallenge"], "k": clock.code(ann.secret)},
    })
    done = response.json()["data"]["verifyTwoFactor"]
    assert done["errors"] == [] and done["twoFactorChallenge"] is None
    assert done["session"] == {"status": "ACTIVE", "isCurrent": True}
    assert done["user"] == {"email": ann.email, "twoFactorEnabled": True}
    [cookie] = response.headers.get_list("set-cookie")
    attributes = [part.strip().lower() for part in cookie.split(";")]
    assert attributes[0] == f"{settings.cookie_name}={done['token']}".lower()
    assert "httponly" in attributes and "samesite=lax" in attributes and "path=/" in attributes
    viewer = (await client.gql(VIEWER_2FA, token=done["token"]))["data"]["viewer"]
    assert viewer["email"] == ann.email


async def test_one_step_of_drift_either_way_is_accepted_and_two_are_not(client, clock):
    ann = await user_with_two_factor(client, clock)
    clock.advance(60)  # so that the step before is not the one that confirmed the set-up
    challenge = await challenge_for(client)
    for steps in (2, -2):
        assert codes(await verify(client, challenge, clock.code(ann.secret, steps))) == ["INVALID_CODE"]
    assert (await verify(client, challenge, clock.code(ann.secret, -1)))["token"]

    clock.advance(90)  # three steps on: the step before is fresh again
    assert (await verify(client, await challenge_for(client), clock.code(ann.secret, 1)))["token"]


async def test_a_code_is_accepted_once_and_never_an_older_one_after_it(client, clock):
    ann = await user_with_two_factor(client, clock)
    code = clock.code(ann.secret)
    assert (await verify(client, await challenge_for(client), code))["token"]
    replayed = await verify(client, await challenge_for(client), code)
    assert codes(replayed) == ["INVALID_CODE"] and replayed["token"] is None
    assert replayed["errors"][0]["field"] == ["input", "code"]
    assert codes(await verify(client, await challenge_for(client), clock.code(ann.secret, -1))) == ["INVALID_CODE"]
    assert (await verify(client, await challenge_for(client), clock.code(ann.secret, 1)))["token"]


async def test_two_concurrent_sign_ins_with_one_code_get_exactly_one_session(client, clock):
    ann = await user_with_two_factor(client, clock)
    first, second = await challenge_for(client), await challenge_for(client)
    code = clock.code(ann.secret)
    results = await asyncio.gather(verify(client, first, code), verify(client, second, code))
    assert sorted(bool(result["token"]) for result in results) == [False, True]
    assert [codes(result) for result in results if not result["token"]] == [["INVALID_CODE"]]


async def test_recovery_codes_work_once_whatever_their_case_and_spacing(client, clock):
    ann = await user_with_two_factor(client, clock)
    typed = ann.recovery_codes[0].upper().replace("-", " ")
    done = await verify(client, await challenge_for(client), typed)
    assert done["token"] and done["errors"] == []
    assert codes(await verify(client, await challenge_for(client), ann.recovery_codes[0])) == ["INVALID_CODE"]
    # Two requests racing with one unused code: one signs in.
    first, second = await challenge_for(client), await challenge_for(client)
    code = ann.recovery_codes[1]
    results = await asyncio.gather(verify(client, first, code), verify(client, second, code))
    assert sorted(bool(result["token"]) for result in results) == [False, True]
    # Every other code still works.
    assert (await verify(client, await challenge_for(client), ann.recovery_codes[9]))["token"]


async def test_a_challenge_works_once(client, clock):
    ann = await user_with_two_factor(client, clock)
    challenge = await challenge_for(client)
    assert (await verify(client, challenge, clock.code(ann.secret)))["token"]
    clock.advance(30)
    again = await verify(client, challenge, clock.code(ann.secret))
    assert codes(again) == ["INVALID_CODE"] and again["errors"][0]["field"] == ["input", "challenge"]


async def test_a_challenge_expires_after_five_minutes(client, clock):
    ann = await user_with_two_factor(client, clock)
    challenge = await challenge_for(client)
    clock.advance(5 * 60)
    expired = await verify(client, challenge, clock.code(ann.secret))
    assert codes(expired) == ["INVALID_CODE"] and expired["errors"][0]["field"] == ["input", "challenge"]
    assert expired["token"] is None
    assert (await verify(client, await challenge_for(client), clock.code(ann.secret)))["token"]


async def test_an_unknown_or_malformed_challenge_is_invalid_code(client, clock):
    ann = await user_with_two_factor(client, clock)
    for challenge in ("", "x" * 43, "x" * 5000):
        refused = await verify(client, challenge, clock.code(ann.secret))
        assert codes(refused) == ["INVALID_CODE"] and refused["errors"][0]["field"] == ["input", "challenge"]


async def test_five_wrong_codes_kill_the_challenge(make_client, monkeypatch, clock):
    # Limits raised so that the challenge's own limit is what is seen (the sign-in limits count codes too).
    async with clocked_client(make_client, monkeypatch, clock, sign_in_max_failures_per_email_and_ip=50) as client:
        ann = await user_with_two_factor(client, clock)
        challenge = await challenge_for(client)
        wrong = wrong_code(ann.secret, clock.now)
        for _ in range(5):
            refused = await verify(client, challenge, wrong)
            assert codes(refused) == ["INVALID_CODE"] and refused["errors"][0]["field"] == ["input", "code"]
        dead = await verify(client, challenge, clock.code(ann.secret))
        assert codes(dead) == ["INVALID_CODE"] and dead["errors"][0]["field"] == ["input", "challenge"]
        assert (await verify(client, await challenge_for(client), clock.code(ann.secret)))["token"]


async def test_concurrent_wrong_codes_check_at_most_five_against_one_challenge(make_client, monkeypatch, clock):
    async with clocked_client(make_client, monkeypatch, clock, sign_in_max_failures_per_email_and_ip=50) as client:
        ann = await user_with_two_factor(client, clock)
        challenge = await challenge_for(client)
        wrong = wrong_code(ann.secret, clock.now)
        results = await asyncio.gather(*(verify(client, challenge, wrong) for _ in range(12)))
    fields = sorted(tuple(result["errors"][0]["field"]) for result in results)
    assert fields.count(("input", "code")) == 5 and fields.count(("input", "challenge")) == 7


async def test_wrong_codes_count_toward_the_sign_in_limit_with_wrong_passwords(client, clock):
    ann = await user_with_two_factor(client, clock)
    for _ in range(2):
        assert codes(await sign_in(client, password="wrong password!")) == ["INVALID_CREDENTIALS"]
    wrong = wrong_code(ann.secret, clock.now)
    for _ in range(2):  # a new challenge each time: the limit is the account's, not the challenge's
        assert codes(await verify(client, await challenge_for(client), wrong)) == ["INVALID_CODE"]
    challenge = await challenge_for(client)
    assert codes(await verify(client, challenge, wrong)) == ["INVALID_CODE"]
    # Five failures for this email from this IP: the right code is not even checked now, nor a password.
    limited = await verify(client, challenge, clock.code(ann.secret))
    assert codes(limited) == ["RATE_LIMITED"] and limited["token"] is None
    assert codes(await sign_in(client)) == ["RATE_LIMITED"]


async def test_failures_are_cleared_only_when_the_second_step_completes(client, clock):
    ann = await user_with_two_factor(client, clock)
    for _ in range(4):
        assert codes(await sign_in(client, password="wrong password!")) == ["INVALID_CREDENTIALS"]
    await challenge_for(client)  # the right password clears nothing yet
    assert codes(await sign_in(client, password="wrong password!")) == ["INVALID_CREDENTIALS"]
    assert codes(await sign_in(client)) == ["RATE_LIMITED"]

    clock.advance(16 * 60)  # past the window: those failures no longer count
    for _ in range(3):
        assert codes(await sign_in(client, password="wrong password!")) == ["INVALID_CREDENTIALS"]
    assert (await verify(client, await challenge_for(client), clock.code(ann.secret)))["token"]
    for _ in range(5):  # cleared by the completed sign-in: a whole allowance again
        assert codes(await sign_in(client, password="wrong password!")) == ["INVALID_CREDENTIALS"]
    assert codes(await sign_in(client)) == ["RATE_LIMITED"]


async def test_delete_viewer_needs_a_code_when_two_factor_is_on(client, clock):
    ann = await user_with_two_factor(client, clock)
    missing = (await client.gql(DELETE_VIEWER, {"input": {"password": PASSWORD}}, token=ann.token))["data"]["deleteViewer"]
    assert codes(missing) == ["INVALID_CODE"] and missing["errors"][0]["field"] == ["input", "code"]
    wrong = wrong_code(ann.secret, clock.now)
    refused = (await client.gql(DELETE_VIEWER, {"input": {"password": PASSWORD, "code": wrong}}, token=ann.token))
    assert codes(refused["data"]["deleteViewer"]) == ["INVALID_CODE"]
    bad_password = await client.gql(
        DELETE_VIEWER, {"input": {"password": "not it at all", "code": clock.code(ann.secret)}}, token=ann.token
    )
    assert codes(bad_password["data"]["deleteViewer"]) == ["INVALID_CREDENTIALS"]
    deleted = await client.gql(
        DELETE_VIEWER, {"input": {"password": PASSWORD, "code": clock.code(ann.secret)}}, token=ann.token
    )
    assert deleted["data"]["deleteViewer"]["errors"] == [] and deleted["data"]["deleteViewer"]["deletedUserId"] == ann.user_id


async def test_delete_viewer_without_two_factor_needs_no_code(client):
    token = (await sign_up(client))["token"]
    deleted = (await client.gql(DELETE_VIEWER, {"input": {"password": PASSWORD}}, token=token))["data"]["deleteViewer"]
    assert deleted["errors"] == []


async def test_disable_needs_the_password_and_a_code_then_sign_in_is_one_step_again(client, clock):
    ann = await user_with_two_factor(client, clock)
    wrong = wrong_code(ann.secret, clock.now)
    refused = (await client.gql(DISABLE, {"password": "not it at all", "code": clock.code(ann.secret)}, token=ann.token))
    assert codes(refused["data"]["disableTwoFactor"]) == ["INVALID_CREDENTIALS"]
    refused = (await client.gql(DISABLE, {"password": PASSWORD, "code": wrong}, token=ann.token))
    assert codes(refused["data"]["disableTwoFactor"]) == ["INVALID_CODE"]
    done = (await client.gql(DISABLE, {"password": PASSWORD, "code": ann.recovery_codes[3]}, token=ann.token))
    assert done["data"]["disableTwoFactor"] == {"user": {"twoFactorEnabled": False}, "errors": []}
    assert (await sign_in(client))["token"]


async def test_regenerated_recovery_codes_replace_the_old_ones(client, clock):
    ann = await user_with_two_factor(client, clock)
    regenerated = (await client.gql(REGENERATE, {"password": PASSWORD}, token=ann.token))["data"]
    new_codes = regenerated["regenerateRecoveryCodes"]["recoveryCodes"]
    assert len(new_codes) == 10 and not set(new_codes) & set(ann.recovery_codes)
    assert codes(await verify(client, await challenge_for(client), ann.recovery_codes[0])) == ["INVALID_CODE"]
    assert (await verify(client, await challenge_for(client), new_codes[0]))["token"]
    wrong_password = (await client.gql(REGENERATE, {"password": "not it at all"}, token=ann.token))["data"]
    assert codes(wrong_password["regenerateRecoveryCodes"]) == ["INVALID_CREDENTIALS"]


async def test_two_factor_mutations_need_a_viewer(client):
    body = await client.gql(BEGIN, {"password": PASSWORD})
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_fifteen_aliased_verifications_in_one_document_are_refused_before_execution(client, clock):
    ann = await user_with_two_factor(client, clock)
    challenge = await challenge_for(client)
    fields = " ".join(
        f'v{i}: verifyTwoFactor(input: {{challenge: "{challenge}", code: "{i:06d}"}}) {{ token }}' for i in range(15)
    )
    body = await client.gql(f"mutation {{ {fields} }}")
    assert body.get("data") is None and body["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    assert (await verify(client, challenge, clock.code(ann.secret)))["token"]  # no try was spent


async def test_wrong_set_up_codes_count_toward_the_sign_in_limit(client, clock):
    token = (await sign_up(client))["token"]
    begun = (await client.gql(BEGIN, {"password": PASSWORD}, token=token))["data"]["beginTwoFactorSetup"]
    wrong = wrong_code(begun["secret"], clock.now)
    for _ in range(5):
        refused = (await client.gql(CONFIRM, {"code": wrong}, token=token))["data"]["confirmTwoFactorSetup"]
        assert codes(refused) == ["INVALID_CODE"]
    limited = (await client.gql(CONFIRM, {"code": clock.code(begun["secret"])}, token=token))["data"]
    assert codes(limited["confirmTwoFactorSetup"]) == ["RATE_LIMITED"]
    assert (await client.gql(VIEWER_2FA, token=token))["data"]["viewer"]["twoFactorEnabled"] is False
