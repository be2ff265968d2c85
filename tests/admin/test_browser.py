"""The admin in Chromium, against a real `webphone serve`: sign in, build a phone while watching
its preview, save it, open its hosted page; and no page breaks the Content Security Policy.
Screenshots of every admin page are left in /tmp/webphone-admin-shots/ to look at."""

from __future__ import annotations

import re
import subprocess
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from playwright.async_api import BrowserContext, Page, async_playwright, expect

from browser.helpers import (
    CHROMIUM,
    CHROMIUM_ARGS,
    CONTEXT_PERMISSIONS,
    WebphoneServer,
    start_webphone_server,
    webphone_command,
)

SHOTS = Path(tempfile.gettempdir()) / "webphone-admin-shots"
NAME, PASSWORD, SIP_PASSWORD = "ada", "correct horse battery", "alice-sip-secret"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[WebphoneServer]:
    """`webphone serve` with the admin ada (made by `webphone admin create`) and user alice."""
    created = subprocess.run(
        [*webphone_command("admin", "create", NAME, "--password", PASSWORD),
         "--data-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    server = start_webphone_server(tmp_path, {"alice": SIP_PASSWORD})
    try:
        yield server
    finally:
        server.stop()


@pytest_asyncio.fixture
async def context(server: WebphoneServer) -> AsyncIterator[tuple[BrowserContext, list[str]]]:
    """A Chromium context on the server, and the console errors and page errors it saw."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = await browser.new_context(
            base_url=server.base_url,
            permissions=CONTEXT_PERMISSIONS,
            viewport={"width": 1360, "height": 900},
        )

        def watch(page: Page) -> None:
            page.on("pageerror", lambda error: problems.append(f"{page.url}: {error}"))
            page.on(
                "console",
                lambda m: (
                    problems.append(f"{page.url}: {m.text}")
                    if "Content Security Policy" in m.text
                    else None
                ),
            )

        context.on("page", watch)
        try:
            yield context, problems
        finally:
            await browser.close()


async def test_build_a_phone_and_open_its_page(
    context: tuple[BrowserContext, list[str]],
) -> None:
    browser, problems = context
    page = await browser.new_page()
    await page.goto("/admin/")
    await expect(page).to_have_url(re.compile(r"/admin/login\?next="))
    await page.get_by_label("Name").fill(NAME)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", name="No phones yet")).to_be_visible()

    await page.get_by_role("link", name="New phone").first.click()
    await page.get_by_label("ID", exact=True).fill("support")
    await page.get_by_label("Width (pixels)").fill("280")
    await page.get_by_label("Dialpad", exact=True).uncheck()
    await page.get_by_label("Hold", exact=True).uncheck()
    # The preview follows the form before anything is saved.
    preview = page.locator("web-phone#preview")
    await expect(preview).to_have_attribute("width", "280")
    await expect(preview).to_have_attribute("show-dialpad", "false")
    await expect(preview).to_have_attribute("show-hold", "false")
    await expect(preview.get_by_role("button", name="Call", exact=True)).to_be_visible()
    await expect(preview.get_by_role("group", name="Dial pad")).to_be_hidden()
    await expect(page.locator("#snippet")).to_contain_text('<web-phone component="support">')
    await page.get_by_label("Hidden (Attribute Action)").check()
    await expect(preview).to_be_hidden()
    await page.get_by_label("Hidden (Attribute Action)").uncheck()
    await expect(preview).to_be_visible()

    await page.get_by_label("Default username").fill("alice")
    await page.get_by_label("Default password").fill(SIP_PASSWORD)
    await page.get_by_label("Allowed destinations").fill("echo")
    await page.get_by_role("button", name="Create phone").click()
    await expect(page.get_by_text("Saved. Pages that embed this phone")).to_be_visible()
    await expect(page).to_have_url(re.compile(r"/admin/components/support/edit\?saved=1$"))
    await expect(page.get_by_label("Default password")).to_have_attribute(
        "placeholder", "unchanged"
    )
    await page.screenshot(path=SHOTS / "test-edit.png", full_page=True)
    assert SIP_PASSWORD not in await page.content()

    hosted = await browser.new_page()
    await hosted.goto("/p/support")
    phone = hosted.locator('web-phone[component="support"]')
    await expect(phone).to_have_attribute("width", "280")
    await expect(phone.get_by_role("button", name="Call", exact=True)).to_be_visible()
    await expect(phone.get_by_role("group", name="Dial pad")).to_be_hidden()
    await hosted.screenshot(path=SHOTS / "test-hosted.png")
    assert SIP_PASSWORD not in await hosted.content()

    for name, path in (("components", "/admin/components"), ("calls", "/admin/calls"),
                       ("reports", "/admin/reports"), ("sip-users", "/admin/sip-users"),
                       ("live", "/admin/live")):  # fmt: skip
        await page.goto(path)
        await expect(page.get_by_role("heading", level=1)).to_be_visible()
        await page.screenshot(path=SHOTS / f"test-{name}.png", full_page=True)
    # The hosted page's session shows in the live view, refreshed by polling.
    await expect(page.locator("#live-sessions")).to_contain_text("support")
    await expect(page.locator("#live-registrations")).to_contain_text("Nobody is registered")
    assert not problems, problems
