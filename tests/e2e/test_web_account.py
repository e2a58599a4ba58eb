"""The example account page (examples/web) in headless Chromium against the real `usergraph serve` on
PostgreSQL, served from another origin than the API as in a deployment: sign-up, profile, the session
list, revoking another session, sign-out."""

from __future__ import annotations

import httpx
from playwright.async_api import expect

from tests.support.auth import PASSWORD, SIGN_IN
from tests.support.browser import api_env, chromium, pages_server, require_browser, screenshot
from tests.support.server import running_server

VIEWER = "{ viewer { email } }"


async def test_sign_up_edit_profile_revoke_a_session_and_sign_out(requires_postgres, database_url, tmp_path, settings):
    executable = require_browser()
    with pages_server() as pages, running_server(
        api_env(database_url, pages.origin()), "--no-migrate", tmp_path=tmp_path
    ) as server, httpx.Client(base_url=server.base_url, timeout=10) as http:
        api = server.base_url.replace("127.0.0.1", "localhost")  # same site as the page: SameSite=Lax works
        async with chromium(executable) as browser:
            context = await browser.new_context(viewport={"width": 1100, "height": 800})
            page = await context.new_page()
            await page.goto(f"{pages.origin()}/?api={api}")

            sign_up = page.locator("#sign-up-form")
            await sign_up.get_by_label("Name").fill("Ann")
            await sign_up.get_by_label("Email").fill("ann@example.com")
            await sign_up.get_by_label("Password").fill("short")
            await sign_up.get_by_role("button", name="Sign up").click()
            # The payload's error lands next to its field, which gets the focus.
            password = sign_up.get_by_label("Password")
            await expect(password).to_be_focused()
            await expect(password).to_have_attribute("aria-invalid", "true")
            await expect(sign_up.locator(".errors")).to_contain_text("WEAK_PASSWORD")

            await password.fill(PASSWORD)
            await sign_up.get_by_role("button", name="Sign up").click()
            await expect(page.locator("#who")).to_have_text("Signed in as Ann <ann@example.com>")
            [cookie] = await context.cookies(api)
            assert cookie["name"] == settings.cookie_name and cookie["sameSite"] == "Lax"
            assert cookie["httpOnly"] and cookie["secure"]  # Secure outside DEBUG: Chromium takes it from localhost
            assert await page.evaluate("document.cookie") == ""  # HttpOnly: no script can read the token

            profile = page.locator("#profile-form")
            await profile.get_by_label("Picture URL").fill("ftp://example.com/ann.png")
            await profile.get_by_role("button", name="Save profile").click()
            await expect(profile.get_by_label("Picture URL")).to_be_focused()
            await expect(profile.locator(".field-error")).to_have_attribute("data-code", "INVALID_INPUT")
            await profile.get_by_label("Name").fill("Ann Lee")
            await profile.get_by_label("Picture URL").fill("https://img.example.com/ann.png")
            await profile.get_by_role("button", name="Save profile").click()
            await expect(page.locator("#profile-result")).to_be_focused()
            await expect(page.locator("#who")).to_have_text("Signed in as Ann Lee <ann@example.com>")

            # Another device signs in; the list shows it once refreshed, and it can be revoked.
            body = http.post("/graphql", json={"query": SIGN_IN, "variables": {
                "input": {"email": "ann@example.com", "password": PASSWORD}}}).json()
            other = body["data"]["signIn"]["token"]
            rows = page.locator("#sessions-body tr")
            await expect(rows).to_have_count(1)
            await page.get_by_role("button", name="Refresh").click()
            await expect(rows).to_have_count(2)
            await expect(page.locator("#sessions-caption")).to_have_text("2 active sessions")
            await screenshot(page, "account")
            await rows.filter(has_text="python-httpx").get_by_role("button", name="Revoke").click()
            await expect(page.locator("#sessions-result")).to_be_focused()
            await expect(rows).to_have_count(1)
            await expect(rows).to_contain_text("this device")
            assert graphql(http, VIEWER, token=other)["data"]["viewer"] is None

            await page.get_by_role("button", name="Sign out", exact=True).click()
            await expect(page.locator("#who")).to_have_text("Not signed in")
            await expect(page.locator("#sign-in-form")).to_be_visible()
            assert await context.cookies(api) == []
            await page.reload()
            await expect(page.locator("#who")).to_have_text("Not signed in")


def graphql(http: httpx.Client, query: str, *, token: str) -> dict:
    return http.post("/graphql", json={"query": query}, headers={"Authorization": f"Bearer {token}"}).json()
