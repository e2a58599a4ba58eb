"""The example admin console (examples/web/admin.html) in headless Chromium against the real `usergraph
serve` on PostgreSQL: an admin pages through 250 seeded users by keyset cursors, both ways, then finds
one and deactivates them."""

from __future__ import annotations

from playwright.async_api import expect
from sqlalchemy import func, select

from db.models import Session, User
from db.services.seed import ADMIN_EMAIL, DEMO_PASSWORD
from db.types import utcnow
from tests.support.browser import api_env, chromium, pages_server, require_browser, screenshot
from tests.support.seeding import seed
from tests.support.server import running_server

SEEDED = 250


async def test_an_admin_pages_through_250_users_and_deactivates_one(
    requires_postgres, database_url, database, settings, tmp_path
):
    executable = require_browser()
    await seed(database, settings, SEEDED)
    async with database.sessionmaker() as db:
        total = await db.scalar(select(func.count()).select_from(User))
        target = await db.scalar(select(User).where(User.is_active, User.email != ADMIN_EMAIL)
                                 .order_by(User.email).limit(1))
    assert total == SEEDED  # the admin is the first of them

    with pages_server() as pages, running_server(
        api_env(database_url, pages.origin()), "--no-migrate", tmp_path=tmp_path
    ) as server:
        api = server.base_url.replace("127.0.0.1", "localhost")
        async with chromium(executable) as browser:
            page = await browser.new_page(viewport={"width": 1280, "height": 900})
            await page.goto(f"{pages.origin()}/?api={api}")
            sign_in = page.locator("#sign-in-form")
            await sign_in.get_by_label("Email").fill(ADMIN_EMAIL)
            await sign_in.get_by_label("Password").fill(DEMO_PASSWORD)
            await sign_in.get_by_role("button", name="Sign in").click()
            await expect(page.locator("#who")).to_contain_text(ADMIN_EMAIL)

            await page.get_by_role("link", name="Admin console").click()
            caption, rows = page.locator("#users-caption"), page.locator("#users-body tr")
            await expect(caption).to_have_text(f"Page 1: users 1–50 of {total}")
            filters = page.locator("#users-filter")
            await filters.get_by_label("Per page").select_option("100")
            await filters.get_by_label("Order by").select_option("EMAIL")
            await filters.get_by_role("button", name="Show users").click()
            await expect(caption).to_have_text(f"Page 1: users 1–100 of {total}")

            # Forward to the end by cursors: every user exactly once, in email order.
            seen: list[str] = []
            next_page = page.get_by_role("button", name="Next page")
            for number, first, last in ((1, 1, 100), (2, 101, 200), (3, 201, total)):
                await expect(caption).to_have_text(f"Page {number}: users {first}–{last} of {total}")
                seen += await rows.locator("td:first-child").all_inner_texts()
                if number < 3:
                    await next_page.click()
            await expect(next_page).to_be_disabled()
            assert len(seen) == total == len(set(seen))
            async with database.sessionmaker() as db:
                ordered = list(await db.scalars(select(User.email).order_by(User.email_key, User.id)))
            assert seen == ordered
            # And back one page (last/before).
            await page.get_by_role("button", name="Previous page").click()
            await expect(caption).to_have_text(f"Page 2: users 101–200 of {total}")
            assert await rows.locator("td:first-child").all_inner_texts() == seen[100:200]

            # Search, open, deactivate: their sessions end with it.
            await filters.get_by_label("Search").fill(target.email)
            await filters.get_by_role("button", name="Show users").click()
            await expect(caption).to_have_text("Page 1: users 1–1 of 1")
            await rows.get_by_role("link", name=target.email).click()
            detail = page.locator("#user-detail")
            await expect(page.locator("#detail-title")).to_be_focused()
            await detail.get_by_role("button", name="Deactivate").click()
            await expect(page.locator("#detail-result")).to_have_text(
                f"{target.email} is deactivated and signed out everywhere.")
            await expect(detail.get_by_role("button", name="Reactivate")).to_be_visible()
            await expect(rows).to_contain_text("deactivated")
            # The filters: only deactivated users, the new one among them.
            await filters.get_by_label("Search").fill("")
            await filters.get_by_label("Active").select_option("false")
            await filters.get_by_role("button", name="Show users").click()
            await expect(rows.get_by_role("link", name=target.email)).to_be_visible()
            for status in await rows.locator("td:nth-child(4)").all_inner_texts():
                assert status.startswith("deactivated"), status
            await filters.get_by_label("Active").select_option("")
            await filters.get_by_label("Search").fill("")
            await filters.get_by_label("Per page").select_option("20")
            await filters.get_by_role("button", name="Show users").click()
            await expect(caption).to_have_text(f"Page 1: users 1–20 of {total}")
            await screenshot(page, "admin")

    async with database.sessionmaker() as db:
        user = await db.get(User, target.id)
        active = await db.scalar(select(func.count()).select_from(Session).where(
            Session.user_id == target.id, Session.revoked_at.is_(None), Session.expires_at > utcnow()))
    assert user.is_active is False and active == 0
