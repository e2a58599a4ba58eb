"""The example page on another origin than the API, as deployed, in headless Chromium against the real
`usergraph serve` on PostgreSQL: CORS with credentials for the origins in CORS_ORIGINS and only those,
and the session cookie, which works between origins of one site (http://localhost:A and :B) and is
refused between sites (http://127.0.0.1 and http://localhost)."""

from __future__ import annotations

import httpx
from playwright.async_api import expect

from tests.support.auth import PASSWORD, SIGN_UP
from tests.support.browser import api_env, chromium, pages_server, require_browser
from tests.support.server import running_server


async def sign_in(page, email: str) -> None:
    form = page.locator("#sign-in-form")
    await form.get_by_label("Email").fill(email)
    await form.get_by_label("Password").fill(PASSWORD)
    await form.get_by_role("button", name="Sign in").click()


async def test_cors_and_the_session_cookie_across_origins(requires_postgres, database_url, tmp_path):
    executable = require_browser()
    with pages_server() as pages, pages_server() as stranger, running_server(
        api_env(database_url, pages.origin("localhost"), pages.origin("127.0.0.1")), "--no-migrate", tmp_path=tmp_path
    ) as server:
        body = httpx.post(f"{server.base_url}/graphql", json={"query": SIGN_UP, "variables": {
            "input": {"email": "ann@example.com", "password": PASSWORD, "name": "Ann"}}}).json()
        assert body["data"]["signUp"]["errors"] == []
        api = server.base_url.replace("127.0.0.1", "localhost")

        async with chromium(executable) as browser:
            # Same site, another origin: the preflighted JSON POST passes CORS, the cookie comes back.
            context = await browser.new_context()
            page = await context.new_page()
            await page.goto(f"{pages.origin('localhost')}/?api={api}")
            await sign_in(page, "ann@example.com")
            await expect(page.locator("#who")).to_have_text("Signed in as Ann <ann@example.com>")
            await page.reload()
            await expect(page.locator("#who")).to_have_text("Signed in as Ann <ann@example.com>")
            await expect(page.locator("#sessions-caption")).to_have_text("2 active sessions")  # sign-up's too
            await expect(page.locator("#sessions-body tr", has_text="this device")).to_contain_text("Chrome")
            await page.get_by_role("button", name="Sign out everywhere else").click()
            await expect(page.locator("#sessions-result")).to_have_text("Signed out 1 other session.")
            await expect(page.locator("#sessions-caption")).to_have_text("1 active session")
            await context.close()

            # An origin missing from CORS_ORIGINS: the browser withholds the answer; the page says why.
            page = await browser.new_page()
            await page.goto(f"{stranger.origin('localhost')}/?api={api}")
            error = page.locator("#page-error")
            await expect(error).to_be_focused()
            await expect(error).to_contain_text("NETWORK_ERROR")
            await expect(error).to_contain_text("CORS_ORIGINS")

            # Allowed by CORS but on another site (127.0.0.1 is not localhost): the API signs in, the
            # browser drops the SameSite=Lax cookie of a cross-site response, and the page says so.
            page = await browser.new_page()
            await page.goto(f"{pages.origin('127.0.0.1')}/?api={api}")
            await sign_in(page, "ann@example.com")
            form = page.locator("#sign-in-form")
            await expect(form.locator(".errors")).to_contain_text("COOKIE_NOT_KEPT")
            await expect(page.locator("#who")).to_have_text("Not signed in")

    signed_in = [line for line in server.log().splitlines() if "SIGNED_IN" in line]
    assert len(signed_in) == 2, server.log()  # both sign-ins reached the API; only one kept its cookie
