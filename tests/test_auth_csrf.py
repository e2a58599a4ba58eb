"""CSRF: a cookie authenticates only bodies a cross-site form cannot send (JSON or application/graphql)."""

import json

from tests.support.auth import VIEWER, sign_in, sign_up

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


async def test_a_json_like_content_type_a_form_cannot_send_still_needs_a_bearer_token(client, settings):
    """Strawberry parses any `application/json…` type; the cookie is refused unless it is exactly JSON."""
    token = (await sign_up(client))["token"]
    body = json.dumps({"query": SIGN_OUT})
    headers = {"Content-Type": "application/json-patch+json"}
    client.cookies.set(settings.cookie_name, token)
    try:
        response = await client.post("/graphql", content=body, headers=headers)
    finally:
        client.cookies.clear()
    assert [error["extensions"]["code"] for error in response.json()["errors"]] == ["UNAUTHENTICATED"]
    assert await still_signed_in(client, token)

    # A bearer token cannot be sent by a cross-site form, so it works with any body type.
    other = (await sign_in(client))["token"]
    response = await client.post("/graphql", content=body, headers={**headers, "Authorization": f"Bearer {other}"})
    assert response.json() == {"data": {"signOut": {"session": {"status": "REVOKED"}}}}


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
