"""The example admin console's actions in headless Chromium against the real `usergraph serve` on
PostgreSQL: create (with a field error first), change role, impersonate on a token kept in memory (the
admin's cookie untouched), ban and unban, revoke sessions, delete."""

from __future__ import annotations

from playwright.async_api import expect

from db.services.seed import ADMIN_EMAIL, DEMO_PASSWORD
from tests.support.auth import PASSWORD
from tests.support.browser import api_env, chromium, pages_server, require_browser
from tests.support.seeding import seed
from tests.support.server import running_server


async def test_admin_actions_through_the_console(requires_postgres, database_url, database, settings, tmp_path):
    executable = require_browser()
    await seed(database, settings, 2)
    with pages_server() as pages, running_server(
        api_env(database_url, pages.origin()), "--no-migrate", tmp_path=tmp_path
    ) as server:
        api = server.base_url.replace("127.0.0.1", "localhost")
        async with chromium(executable) as browser:
            context = await browser.new_context()
            page = await context.new_page()
            await page.goto(f"{pages.origin()}/admin?api={api}")
            await expect(page.locator("#not-admin")).to_be_visible()
            await page.goto(f"{pages.origin()}/")
            sign_in = page.locator("#sign-in-form")
            await sign_in.get_by_label("Email").fill(ADMIN_EMAIL)
            await sign_in.get_by_label("Password").fill(DEMO_PASSWORD)
            await sign_in.get_by_role("button", name="Sign in").click()
            await expect(page.locator("#who")).to_contain_text(ADMIN_EMAIL)
            await page.goto(f"{pages.origin()}/admin")
            [admin_cookie] = await context.cookies(api)

            create = page.locator("#create-form")
            await create.get_by_label("Email", exact=True).fill("bo@example.com")
            await create.get_by_label("Name").fill("Bo")
            await create.get_by_label("Password").fill("short")
            await create.get_by_role("button", name="Create user").click()
            await expect(create.get_by_label("Password")).to_be_focused()
            await expect(create.locator(".errors")).to_contain_text("WEAK_PASSWORD")
            await create.get_by_label("Password").fill(PASSWORD)
            await create.get_by_label("Email already verified").check()
            await create.get_by_role("button", name="Create user").click()
            title = page.locator("#detail-title")
            await expect(title).to_have_text("Bo <bo@example.com>")
            detail, result = page.locator("#user-detail"), page.locator("#detail-result")

            await detail.get_by_label("Role").select_option("ADMIN")
            await detail.get_by_role("button", name="Change role").click()
            await expect(result).to_have_text("bo@example.com is now ADMIN.")
            await detail.get_by_label("Role").select_option("USER")
            await detail.get_by_role("button", name="Change role").click()
            await expect(result).to_have_text("bo@example.com is now USER.")

            # Impersonation: a bearer token in the page's memory; no cookie changes.
            await detail.get_by_role("button", name="Impersonate").click()
            await expect(page.locator("#impersonation-who")).to_contain_text("Acting as Bo <bo@example.com>")
            assert await context.cookies(api) == [admin_cookie]
            assert await page.evaluate("Object.keys(sessionStorage)") == ["usergraph.api"]
            await page.get_by_role("button", name="Stop impersonating").click()
            await expect(page.locator("#impersonation")).to_be_hidden()

            await detail.get_by_label("Ban reason").fill("spam")
            await detail.get_by_role("button", name="Ban").click()
            await expect(result).to_have_text("bo@example.com is banned and signed out everywhere.")
            await expect(page.locator("#detail-fields")).to_contain_text("yes: spam, until lifted")
            await detail.get_by_role("button", name="Unban").click()
            await expect(result).to_have_text("bo@example.com is no longer banned.")
            await detail.get_by_role("button", name="Revoke all sessions").click()
            await expect(result).to_have_text("bo@example.com is signed out everywhere.")
            # Bo's own sessions in the detail: the impersonation one, revoked.
            await expect(page.locator("#detail-sessions")).to_contain_text("impersonation")
            await expect(page.locator("#detail-sessions")).not_to_contain_text("ACTIVE")

            page.once("dialog", lambda dialog: dialog.accept())
            await detail.get_by_role("button", name="Delete").click()
            await expect(page.locator("#users-result")).to_have_text("bo@example.com is deleted.")
            await expect(page.locator("#users-caption")).to_have_text("Page 1: users 1–2 of 2")
            await expect(detail).to_be_hidden()
            assert await context.cookies(api) == [admin_cookie]
