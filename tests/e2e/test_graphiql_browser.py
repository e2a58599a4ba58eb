"""GraphiQL in a real browser where its scripts cannot be fetched: the page says why and what to do,
instead of staying on "Loading..." (the API itself keeps answering)."""

from __future__ import annotations

from tests.support.browser import chromium, require_browser
from tests.support.server import running_server

UNREACHABLE = "http://127.0.0.1:9"  # the discard port: nothing listens, the connection is refused


async def test_graphiql_explains_itself_when_its_assets_cannot_load(tmp_path):
    executable = require_browser()
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/graphiql.db", "GRAPHIQL_ASSETS_URL": UNREACHABLE}
    with running_server(env, tmp_path=tmp_path) as server:
        async with chromium(executable) as browser:
            page = await browser.new_page()
            await page.goto(f"{server.base_url}/")  # `/` leads to GraphiQL
            message = page.get_by_role("heading", name="GraphiQL could not load")
            await message.wait_for(timeout=30_000)
            text = await page.locator("#graphiql").inner_text()
    assert UNREACHABLE in text and "GRAPHIQL_ASSETS_URL" in text and "POST /graphql" in text
    assert "Loading GraphiQL" not in text
