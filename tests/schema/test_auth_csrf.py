"""CSRF: a cookie authenticates only bodies a cross-site form cannot send (JSON or application/graphql)."""

import json

from tests.support.auth import VIEWER, sign_up

SIGN_OUT = "mutation { signOut { session { status } } }"


async def still_signed_in(client, token) -> bool:
    return (await client.gql(VIEWER, token=token))["data"]["viewer"] is not None


async def test_a_cookie_mutation_with_a_json_body_works(client, settings):
    token = (await sign_up(client))["token"]
    client.cookies.set(settings.cookie_name, token)
    try:
        response = await client.post("/graphql", json={"query": SIGN_OUT})
    finally:
        client.cookies.clear()
    assert response.json() == {"data": {"signOut": {"session": {"status": "REVOKED"}}}}
    assert not await still_signed_in(client, token)


async def test_cross_site_form_bodies_cannot_use_the_cookie(client, settings):
    token = (await sign_up(client))["token"]
    form_posts = [
        {"data": {"query": SIGN_OUT}},                                                 # urlencoded
        {"files": {"query": (None, SIGN_OUT)}},                                        # multipart
        {"content": json.dumps({"query": SIGN_OUT}), "headers": {"Content-Type": "text/plain"}},
    ]
    client.cookies.set(settings.cookie_name, token)
    try:
        for request in form_posts:
            response = await client.post("/graphql", **request)
            assert response.status_code < 500
            assert "REVOKED" not in response.text
    finally:
        client.cookies.clear()
    assert await still_signed_in(client, token)


async def test_a_json_like_content_type_is_refused_and_the_cookie_session_survives(client, settings):
    """Only exactly JSON (or application/graphql) bodies are executed; `application/json-patch+json`
    and the like are refused before anything runs, whatever the credentials."""
    token = (await sign_up(client))["token"]
    body = json.dumps({"query": SIGN_OUT})
    headers = {"Content-Type": "application/json-patch+json"}
    client.cookies.set(settings.cookie_name, token)
    try:
        response = await client.post("/graphql", content=body, headers=headers)
    finally:
        client.cookies.clear()
    assert response.status_code == 415
    assert await still_signed_in(client, token)

    response = await client.post("/graphql", content=body, headers={**headers, "Authorization": f"Bearer {token}"})
    assert response.status_code == 415
    assert await still_signed_in(client, token)


async def test_a_cookie_query_over_get_still_reads_the_viewer(client, settings):
    token = (await sign_up(client))["token"]
    client.cookies.set(settings.cookie_name, token)
    try:
        response = await client.get("/graphql", params={"query": VIEWER})
        refused = await client.get("/graphql", params={"query": SIGN_OUT})
    finally:
        client.cookies.clear()
    assert response.json()["data"]["viewer"]["email"] == "ann@example.com"
    assert "REVOKED" not in refused.text
    assert await still_signed_in(client, token)
