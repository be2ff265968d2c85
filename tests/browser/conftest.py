"""Fixtures for the browser tests: `webphone serve`, Chromium, pages with phones, far-end Phones.

One `webphone serve` subprocess for the whole browser run (its users made first with
`webphone user add`), one Chromium per test module, a fresh browser context per test. A test
module runs on one event loop (`pytest.mark.asyncio(loop_scope="module")`), the loop the
module's browser lives on; headless Python phones of a test run on it too.

Like every test, these run inside a loopback-only network namespace (tests/conftest.py), so
WebRTC media cannot leave loopback; tests still check the selected candidate pair.
"""

from __future__ import annotations

import contextlib
import itertools
import signal
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from playwright.async_api import Browser, BrowserContext, Error, Page, async_playwright

from support.phones import TONES, USERS, PhoneFactory, PhoneUnderTest
from webphone.phone import AiortcMedia, LevelMeter, Media, Phone, PhoneConfig, ToneSource

from .helpers import (
    CHROMIUM,
    CHROMIUM_ARGS,
    CONTEXT_PERMISSIONS,
    QUIET_JS,
    TRACKER_JS,
    PageOpener,
    PhonePage,
    WebphoneServer,
    page_html,
    start_webphone_server,
)

SCREENSHOTS = Path(tempfile.gettempdir()) / "webphone-browser-shots"
"""Where tests leave screenshots to look at (not committed)."""


@pytest.fixture(scope="session")
def webphone_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebphoneServer]:
    """`webphone serve` with users alice, bob and carol (passwords of support.phones.USERS)."""
    server = start_webphone_server(tmp_path_factory.mktemp("webphone-serve"), USERS)
    try:
        yield server
    finally:
        status = server.stop()
        # SIGTERM is a clean stop: anything else is a crash worth seeing.
        assert status in (0, -signal.SIGTERM), f"webphone serve exited {status}:\n{server.log()}"


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser() -> AsyncIterator[Browser]:
    """Debian's Chromium, with fake media devices, one per test module."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


@pytest_asyncio.fixture(loop_scope="module")
async def context(
    browser: Browser, webphone_server: WebphoneServer
) -> AsyncIterator[BrowserContext]:
    """A fresh context (microphone allowed) whose pages record the phones' events and media.

    At the end every phone is hung up and unregistered, and the test fails if a page threw."""
    context = await browser.new_context(
        permissions=CONTEXT_PERMISSIONS,
        base_url=webphone_server.base_url,
        viewport={"width": 900, "height": 900},
    )
    errors: list[str] = []

    def watch(page: Page) -> None:
        page.on("pageerror", lambda error: errors.append(f"{page.url}: {error}"))

    context.on("page", watch)
    await context.add_init_script(TRACKER_JS)
    await context.route("**/favicon.ico", lambda route: route.fulfill(status=204))
    try:
        yield context
    finally:
        for page in context.pages:
            with contextlib.suppress(Error):
                await page.evaluate(QUIET_JS)
        await context.close()
    assert not errors, f"uncaught errors in pages: {errors}"


@pytest_asyncio.fixture(loop_scope="module")
async def open_phone(context: BrowserContext, webphone_server: WebphoneServer) -> PageOpener:
    """`await open_phone(body, selector="web-phone")`: a new page whose body is `body` (with
    webphone.js loaded), served at the webphone server's origin; a PhonePage on `selector`."""
    numbers = itertools.count(1)

    async def open_page(body: str, selector: str = "web-phone") -> PhonePage:
        path = f"/browser-test/{next(numbers)}"
        document = page_html(body)
        await context.route(
            webphone_server.base_url + path,
            lambda route: route.fulfill(body=document, content_type="text/html; charset=utf-8"),
        )
        page = await context.new_page()
        await page.goto(path)
        phone = PhonePage(page, selector)
        await phone.defined()
        return phone

    return open_page


@pytest_asyncio.fixture(loop_scope="module")
async def far_phone(webphone_server: WebphoneServer) -> AsyncIterator[PhoneFactory]:
    """`await far_phone(name, auto_answer=False)`: a headless Python Phone registered to the
    embedded SIP server over /sip; its calls send the user's tone (support.phones.TONES) and
    measure what they hear. Closed (hung up, unregistered) at the end."""
    made: list[PhoneUnderTest] = []

    async def make(
        name: str, *, auto_answer: bool = False, register: bool = True, **config: object
    ) -> PhoneUnderTest:
        holder: list[PhoneUnderTest] = []

        def media(video: bool) -> Media:
            meter = LevelMeter()
            endpoint = AiortcMedia(ToneSource(TONES[name]), meter, hosts=["127.0.0.1"])
            holder[0].meters.append(meter)
            holder[0].media.append(endpoint)
            return endpoint

        phone_config = PhoneConfig(
            ws_servers=(webphone_server.sip_url,), username=name, password=USERS[name]
        ).replace(**config)
        phone = Phone(phone_config, media_factory=media, auto_answer=auto_answer)
        holder.append(PhoneUnderTest(phone, name))
        made.append(holder[0])
        if register:
            await phone.register()
        return holder[0]

    yield make
    for under_test in made:
        await under_test.phone.close()
