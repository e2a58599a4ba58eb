"""A real browser for the example pages: the system's Chromium driven by Playwright, and the pages
served from their own origin (examples/web/serve.py in a thread), cross-origin to the API as deployed."""

from __future__ import annotations

import importlib.util
import os
import shutil
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_NAMES = ("chromium", "chromium-browser")


def chromium_path() -> str | None:
    for name in CHROMIUM_NAMES:
        if found := shutil.which(name):
            return found
    return None


def require_browser() -> str:
    """The Chromium binary, or skip saying what is missing and how to get it."""
    path = chromium_path()
    if path is None:
        pytest.skip("needs Chromium: apt-get install -y chromium (.ci/run installs it; Playwright's own "
                    "browser download is not used)")
    return path


def api_env(database_url: str, *origins: str, **settings: str) -> dict[str, str]:
    """The API's environment for pages served from `origins` (its CORS_ORIGINS)."""
    return {"DATABASE_URL": database_url, "CORS_ORIGINS": ",".join(origins), **settings}


@asynccontextmanager
async def chromium(executable: str) -> AsyncIterator:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        # --no-sandbox: CI and these machines run as root, where Chromium's sandbox refuses to start.
        browser = await playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        try:
            yield browser
        finally:
            await browser.close()


@dataclass(frozen=True)
class Pages:
    port: int

    def origin(self, host: str = "localhost") -> str:
        return f"http://{host}:{self.port}"


@contextmanager
def pages_server() -> Iterator[Pages]:
    """examples/web on a free port of 127.0.0.1 (reachable as localhost and as 127.0.0.1)."""
    spec = importlib.util.spec_from_file_location("example_web_serve", ROOT / "examples" / "web" / "serve.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    server = module.make_server("127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Pages(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


async def screenshot(page, name: str) -> None:
    """With SCREENSHOTS_DIR set, save the whole page there as `name`.png (how docs/screenshots/ is made)."""
    folder = os.environ.get("SCREENSHOTS_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)
