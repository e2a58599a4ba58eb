"""GraphiQL that teaches: a first document with the main operations and how to authenticate, its scripts
from GRAPHIQL_ASSETS_URL, a message instead of "Loading..." when they cannot load; `/` leads to it."""

from __future__ import annotations

import re

import graphql

from api.graphiql import DEFAULT_DOCUMENT

HTML = {"Accept": "text/html"}


async def test_graphiql_opens_on_the_main_operations_with_how_to_authenticate(make_client):
    async with make_client(environment="development") as client:
        page = (await client.get("/graphql", headers=HTML)).text
    assert "Strawberry" not in page and "Welcome to GraphiQL" not in page
    document = re.search(r'<script id="default-document" type="application/graphql">(.*?)</script>', page, re.S)
    assert document is not None and document.group(1) == DEFAULT_DOCUMENT
    assert "cookie" in DEFAULT_DOCUMENT and "Authorization" in DEFAULT_DOCUMENT and "Headers tab" in DEFAULT_DOCUMENT


def test_the_first_document_is_valid_against_the_schema():
    from schema import build_schema

    schema = build_schema()
    errors = graphql.validate(schema._schema, graphql.parse(DEFAULT_DOCUMENT))
    assert errors == []
    names = {operation.name.value for operation in graphql.parse(DEFAULT_DOCUMENT).definitions}
    assert {"SignUp", "SignIn", "Viewer", "SignOut"} <= names


async def test_its_scripts_come_from_the_configured_place_and_a_failure_says_so(make_client):
    async with make_client(environment="development", graphiql_assets_url="https://npm.mirror.example/files/") as client:
        page = (await client.get("/graphql", headers=HTML)).text
    sources = re.findall(r'(?:src|href)="(https?://[^"]+)"', page)
    assert sources and all(source.startswith("https://npm.mirror.example/files/") for source in sources)
    assert "unpkg.com" not in page.replace("as unpkg.com", "")
    assert page.count('onerror="assetsUnavailable()"') == 3  # each script reports its own failure
    assert "GraphiQL could not load" in page and "GRAPHIQL_ASSETS_URL" in page


async def test_the_root_leads_to_graphiql_outside_production(make_client):
    async with make_client(environment="development") as client:
        response = await client.get("/", follow_redirects=False)
    assert response.status_code in (302, 307) and response.headers["location"] == "/graphql"
    async with make_client(environment="production") as client:
        assert (await client.get("/", follow_redirects=False)).status_code == 404
