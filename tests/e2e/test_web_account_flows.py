"""The example account page's link and two-factor flows in headless Chromium against the real `usergraph
serve` on PostgreSQL, with its mail delivered to a real SMTP server: the verification link, two-factor
set-up (QR code, recovery codes), the two-step sign-in, a password change, the forgotten password and its
reset link; with REQUIRE_EMAIL_VERIFICATION, the refused sign-in that offers the link again."""

from __future__ import annotations

import pyotp
from playwright.async_api import expect

from tests.support.auth import PASSWORD
from tests.support.browser import api_env, chromium, pages_server, require_browser
from tests.support.server import running_server

NEW_PASSWORD = "purple elephant dancing quietly"
EMAIL = "ann@example.com"


async def sign_in(page, password: str, recovery_code: str) -> None:
    form = page.locator("#sign-in-form")
    await form.get_by_label("Email").fill(EMAIL)
    await form.get_by_label("Password").fill(password)
    await form.get_by_role("button", name="Sign in").click()
    code = page.locator("#two-factor-form").get_by_label("Code")
    await expect(code).to_be_focused()  # the second step
    await code.fill(recovery_code)
    await page.get_by_role("button", name="Verify").click()
    await expect(page.locator("#who")).to_have_text(f"Signed in as Ann <{EMAIL}>")


async def test_verify_two_factor_and_reset_through_the_page(requires_postgres, database_url, tmp_path, smtp_server):
    executable = require_browser()
    inbox = smtp_server.inbox
    with pages_server() as pages, running_server(
        api_env(database_url, pages.origin(), SMTP_URL=smtp_server.url, MAIL_BACKEND="smtp"),
        "--no-migrate", tmp_path=tmp_path,
    ) as server:
        api = server.base_url.replace("127.0.0.1", "localhost")
        async with chromium(executable) as browser:
            page = await browser.new_page()
            await page.goto(f"{pages.origin()}/?api={api}")
            sign_up = page.locator("#sign-up-form")
            await sign_up.get_by_label("Name").fill("Ann")
            await sign_up.get_by_label("Email").fill(EMAIL)
            await sign_up.get_by_label("Password").fill(PASSWORD)
            await sign_up.get_by_role("button", name="Sign up").click()
            await expect(page.locator("#email-status")).to_have_text(f"{EMAIL} (not verified yet)")

            # The verification link opens the page (the API's URL is kept for the tab).
            token = await inbox.token(EMAIL, "Verify", "/verify-email")
            await page.goto(f"{pages.origin()}/verify-email?token={token}")
            await expect(page.locator("#link-message")).to_contain_text(f"{EMAIL} is verified")
            await page.goto(f"{pages.origin()}/verify-email?token={token}")  # a link works once
            await expect(page.locator("#link-form .errors")).to_contain_text("INVALID_TOKEN")

            # Two-factor set-up: the password, the QR code and a code from the app, the recovery codes.
            await page.goto(pages.origin())
            await expect(page.locator("#email-status")).to_have_text(f"{EMAIL} (verified)")
            begin = page.locator("#two-factor-begin-form")
            await begin.get_by_label("Password").fill(PASSWORD)
            await begin.get_by_role("button", name="Set up two-factor sign-in").click()
            await expect(page.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
            secret = await page.locator("#two-factor-secret").inner_text()
            confirm = page.locator("#two-factor-confirm-form")
            await confirm.get_by_label("Code from the app").fill("000000" if pyotp.TOTP(secret).now() != "000000" else "111111")
            await confirm.get_by_role("button", name="Turn on").click()
            await expect(confirm.locator(".errors")).to_contain_text("INVALID_CODE")
            await confirm.get_by_label("Code from the app").fill(pyotp.TOTP(secret).now())
            await confirm.get_by_role("button", name="Turn on").click()
            result = page.locator("#two-factor-result")
            await expect(result).to_be_focused()
            codes = result.locator(".codes li")
            await expect(codes).to_have_count(10)
            recovery = await codes.all_inner_texts()
            await expect(page.locator("#two-factor-status")).to_contain_text("On")

            # A password change, and the security activity that lists it.
            change = page.locator("#password-form")
            await change.get_by_label("Current password").fill("not the password")
            await change.get_by_label("New password").fill(NEW_PASSWORD)
            await change.get_by_role("button", name="Change password").click()
            await expect(change.get_by_label("Current password")).to_be_focused()
            await expect(change.locator(".errors")).to_contain_text("INVALID_CREDENTIALS")
            await change.get_by_label("Current password").fill(PASSWORD)
            await change.get_by_role("button", name="Change password").click()
            await expect(page.locator("#password-result")).to_have_text("Your password is changed.")
            await expect(page.locator("#events-list li").first).to_contain_text("PASSWORD_CHANGED")
            await change.get_by_label("Current password").fill(NEW_PASSWORD)
            await change.get_by_label("New password").fill(PASSWORD)
            await change.get_by_role("button", name="Change password").click()
            await expect(page.locator("#password-result")).to_have_text("Your password is changed.")

            # Signing in takes two steps now.
            await page.get_by_role("button", name="Sign out", exact=True).click()
            await sign_in(page, PASSWORD, recovery[0])

            # Forgotten password: the link from the mail sets a new one; sign-in still wants the code.
            await page.get_by_role("button", name="Sign out", exact=True).click()
            forgot = page.locator("#forgot-form")
            await forgot.get_by_label("Email").fill(EMAIL)
            await forgot.get_by_role("button", name="Send me a reset link").click()
            await expect(page.locator("#forgot-result")).to_be_focused()
            token = await inbox.token(EMAIL, "Reset", "/reset-password")
            await page.goto(f"{pages.origin()}/reset-password?token={token}")
            reset = page.locator("#reset-form")
            await reset.get_by_label("New password").fill("short")
            await reset.get_by_role("button", name="Set password").click()
            await expect(reset.get_by_label("New password")).to_be_focused()
            await expect(reset.locator(".field-error")).to_have_attribute("data-code", "WEAK_PASSWORD")
            await reset.get_by_label("New password").fill(NEW_PASSWORD)
            await reset.get_by_role("button", name="Set password").click()
            await expect(page.locator("#reset-result")).to_contain_text("Your password is set")
            await page.get_by_role("link", name="Sign in").click()
            await sign_in(page, NEW_PASSWORD, recovery[1])


async def test_an_unverified_account_is_told_and_can_ask_for_the_link_again(
    requires_postgres, database_url, tmp_path, smtp_server
):
    executable = require_browser()
    inbox = smtp_server.inbox
    with pages_server() as pages, running_server(
        api_env(database_url, pages.origin(), SMTP_URL=smtp_server.url, MAIL_BACKEND="smtp",
                REQUIRE_EMAIL_VERIFICATION="true"),
        "--no-migrate", tmp_path=tmp_path,
    ) as server:
        api = server.base_url.replace("127.0.0.1", "localhost")
        async with chromium(executable) as browser:
            page = await browser.new_page()
            await page.goto(f"{pages.origin()}/?api={api}")
            sign_up = page.locator("#sign-up-form")
            await sign_up.get_by_label("Name").fill("Ann")
            await sign_up.get_by_label("Email").fill(EMAIL)
            await sign_up.get_by_label("Password").fill(PASSWORD)
            await sign_up.get_by_role("button", name="Sign up").click()
            await expect(page.locator("#signed-out-result")).to_contain_text("follow the link we emailed you")

            form = page.locator("#sign-in-form")
            await form.get_by_label("Email").fill(EMAIL)
            await form.get_by_label("Password").fill(PASSWORD)
            await form.get_by_role("button", name="Sign in").click()
            await expect(form.locator(".errors")).to_contain_text("EMAIL_NOT_VERIFIED")
            await form.get_by_role("button", name="Send the verification link again").click()
            await expect(page.locator("#signed-out-result")).to_have_text(f"A new verification link is on its way to {EMAIL}.")

            token = await inbox.token(EMAIL, "Verify", "/verify-email", nth=2)
            await page.goto(f"{pages.origin()}/verify-email?token={token}")
            await expect(page.locator("#link-message")).to_contain_text(f"{EMAIL} is verified")
            await page.get_by_role("link", name="Go to your account").click()
            await form.get_by_label("Email").fill(EMAIL)
            await form.get_by_label("Password").fill(PASSWORD)
            await form.get_by_role("button", name="Sign in").click()
            await expect(page.locator("#who")).to_have_text(f"Signed in as Ann <{EMAIL}>")
