"""The admin's whole story in Chromium, against a real `webphone serve` (issue 5, "Tests in a
real browser"): an admin signs in, saves the phone `support` (alice's account on the embedded
SIP server, one allowed origin, destinations `echo` only), copies its embed snippet into a page
of another web site, and from that page a visitor calls `echo` and hears it; a call to `bob`
is refused by the dial policy; both calls are then found in /admin/calls and /admin/reports.
The saved password reaches that page in no HTTP response and no gateway message. A page of a
site the phone does not allow gets no session; a form without the CSRF token, or posted by
another site's page, is refused; a wrong sign-in password is told; the saved look (width, Show
switches) applies to the embedded phone.

The two "other" web sites are real HTTP servers on 127.0.0.1 (other ports, so other origins):
`allowed` is the phone's allowed origin, `foreign` is not. Screenshots of the calls list and the
reports are left in /tmp/webphone-admin-flow-shots/ to look at.
"""

from __future__ import annotations

import contextlib
import re
import secrets
import signal
import subprocess
import tempfile
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import pytest_asyncio
from playwright.async_api import (
    Browser,
    BrowserContext,
    Error,
    Page,
    Response,
    WebSocket,
    expect,
)

from support.phones import USERS
from support.services import LOOPBACK

from .helpers import (
    CONTEXT_PERMISSIONS,
    QUIET_JS,
    TRACKER_JS,
    PhonePage,
    WebphoneServer,
    start_webphone_server,
    webphone_command,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

SHOTS = Path(tempfile.gettempdir()) / "webphone-admin-flow-shots"
ADMIN, ADMIN_PASSWORD = "ada", "correct horse battery"
COMPONENT = "support"
SIP_PASSWORD = f"alice-{secrets.token_hex(8)}"
"""alice's password on the embedded server, saved in the component: unique, so that finding it
anywhere the visitor's page received is a leak, not a coincidence."""

STEP_MS = 10_000
"""The longest any one browser step may wait."""


# The other web sites: tiny HTTP servers of this test on loopback.


@dataclass
class Site:
    """A web site on 127.0.0.1 that serves the pages put into it (`put`)."""

    server: ThreadingHTTPServer
    pages: dict[str, str] = field(default_factory=dict)

    @property
    def origin(self) -> str:
        return f"http://{LOOPBACK}:{self.server.server_address[1]}"

    def put(self, path: str, body: str, title: str = "Acme support") -> str:
        """Serves `body` as a whole page at `path`; its URL."""
        self.pages[path] = (
            '<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f"<title>{title}</title><style>body{{margin:24px;font-family:sans-serif}}</style>"
            f"</head><body><h1>{title}</h1>{body}</body></html>"
        )
        return self.origin + path


def _start_site() -> Site:
    pages: dict[str, str] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            page = pages.get(self.path.split("?")[0])
            data = (page or "not found\n").encode()
            self.send_response(200 if page is not None else 404)
            self.send_header("content-type", "text/html; charset=utf-8")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer((LOOPBACK, 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return Site(server, pages)


@pytest.fixture(scope="module")
def allowed() -> Iterator[Site]:
    """The web site the phone `support` allows."""
    site = _start_site()
    yield site
    site.server.shutdown()
    site.server.server_close()


@pytest.fixture(scope="module")
def foreign() -> Iterator[Site]:
    """A web site the phone does not allow."""
    site = _start_site()
    yield site
    site.server.shutdown()
    site.server.server_close()


# The webphone server, and an admin signed in to it.


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebphoneServer]:
    """`webphone serve` with the admin ADMIN (`webphone admin create` first, on the same data
    directory) and the SIP users alice (SIP_PASSWORD) and bob."""
    data_dir = tmp_path_factory.mktemp("admin-flow")
    created = subprocess.run(
        [*webphone_command("admin", "create", ADMIN, "--password", ADMIN_PASSWORD),
         "--data-dir", str(data_dir)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    server = start_webphone_server(data_dir, {"alice": SIP_PASSWORD, "bob": USERS["bob"]})
    try:
        yield server
    finally:
        status = server.stop()
        assert status in (0, -signal.SIGTERM), f"webphone serve exited {status}:\n{server.log()}"


@pytest.fixture(scope="module")
def shots() -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS


@dataclass
class Watched:
    """A browser context, and the uncaught errors of its pages."""

    context: BrowserContext
    errors: list[str]

    async def close(self) -> None:
        for page in self.context.pages:
            with contextlib.suppress(Error):
                await page.evaluate(QUIET_JS)
        await self.context.close()
        assert not self.errors, f"uncaught errors in pages: {self.errors}"


async def _context(
    browser: Browser, server: WebphoneServer, permissions: list[str] | None = None
) -> Watched:
    context = await browser.new_context(
        base_url=server.base_url, viewport={"width": 1360, "height": 900}, permissions=permissions
    )
    context.set_default_timeout(STEP_MS)
    errors: list[str] = []
    context.on("page", lambda p: p.on("pageerror", lambda e: errors.append(f"{p.url}: {e}")))
    return Watched(context, errors)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def admin(browser: Browser, server: WebphoneServer) -> AsyncIterator[Page]:
    """The admin's page, signed in through the sign-in form."""
    watched = await _context(browser, server, permissions=CONTEXT_PERMISSIONS)
    page = await watched.context.new_page()
    await page.goto("/admin/")
    await expect(page).to_have_url(re.compile(r"/admin/login\?next="))
    await page.get_by_label("Name").fill(ADMIN)
    await page.get_by_label("Password").fill(ADMIN_PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", name="No phones yet")).to_be_visible()
    yield page
    await watched.close()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def snippet(admin: Page, allowed: Site) -> str:
    """Saves the phone `support` in the admin's form; the embed snippet copied from its page."""
    page = admin
    await page.goto("/admin/components")
    await page.get_by_role("link", name="New phone").first.click()
    await page.get_by_label("ID", exact=True).fill(COMPONENT)
    await page.get_by_label("Auto register").check()
    await page.get_by_label("Default username").fill("alice")
    await page.get_by_label("Default password").fill(SIP_PASSWORD)
    await page.get_by_label("Allowed origins").fill(allowed.origin)
    await page.get_by_label("Allowed destinations").fill("echo")
    await page.get_by_role("button", name="Create phone").click()
    await expect(page.get_by_text("Saved. Pages that embed this phone")).to_be_visible()
    await expect(page).to_have_url(re.compile(rf"/admin/components/{COMPONENT}/edit\?saved=1$"))
    # Copied as a user copies it: the "Copy code" button, then the clipboard.
    await page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    await page.get_by_role("button", name="Copy code").click()
    copied: str = await page.evaluate("navigator.clipboard.readText()")
    shown = await page.locator("#snippet").text_content()
    assert copied == shown
    assert copied == (
        f'<script type="module" src="{page.url.split("/admin")[0]}/webphone.js"></script>\n'
        f'<web-phone component="{COMPONENT}"></web-phone>'
    )
    assert SIP_PASSWORD not in await page.content()
    return copied


@dataclass
class Received:
    """Everything one page received from the network: HTTP responses and WebSocket frames."""

    responses: list[Response] = field(default_factory=list)
    frames: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    """URLs of requests that got no response the page may read (refused by CORS, say)."""

    def watch(self, page: Page) -> None:
        def socket(ws: WebSocket) -> None:
            ws.on("framereceived", lambda payload: self.frames.append(_text(payload)))

        def response(response: Response) -> None:
            self.responses.append(response)

        page.on("response", response)
        page.on("websocket", socket)
        page.on("requestfailed", lambda request: self.failed.append(request.url))

    async def bodies(self) -> dict[str, str]:
        """Each response's URL and body (a redirect's is empty)."""
        bodies = {}
        for response in self.responses:
            try:
                body = _text(await response.body())
            except Error:
                body = ""  # redirects and preflights have none
            bodies[f"{response.status} {response.url}"] = body
        return bodies


def _text(payload: str | bytes) -> str:
    return payload if isinstance(payload, str) else payload.decode(errors="replace")


async def _visitor_page(
    browser: Browser, server: WebphoneServer, site: Site, snippet: str, path: str
) -> tuple[Watched, PhonePage, Received]:
    """A visitor's page at `site` with the snippet pasted in, the network it received watched."""
    url = site.put(path, f"<p>Questions? Call us.</p>{snippet}")
    watched = await _context(browser, server, permissions=["microphone", "camera"])
    await watched.context.add_init_script(TRACKER_JS)
    page = await watched.context.new_page()
    received = Received()
    received.watch(page)
    await page.goto(url)
    phone = PhonePage(page, f'web-phone[component="{COMPONENT}"]')
    await phone.defined()
    return watched, phone, received


# The tests.


async def test_a_wrong_password_is_told_and_signs_nobody_in(
    browser: Browser, server: WebphoneServer
) -> None:
    watched = await _context(browser, server)
    try:
        page = await watched.context.new_page()
        await page.goto("/admin/login")
        await page.get_by_label("Name").fill(ADMIN)
        await page.get_by_label("Password").fill("not " + ADMIN_PASSWORD)
        async with page.expect_response(re.compile(r"/admin/login$")) as info:
            await page.get_by_role("button", name="Sign in").click()
        assert (await info.value).status == 401
        await expect(page.get_by_text("Wrong name or password.")).to_be_visible()
        await expect(page.get_by_label("Name")).to_have_value(ADMIN)
        await expect(page.get_by_label("Password")).to_have_value("")
        # Still signed out: the admin's pages send it back to the sign-in form.
        await page.goto("/admin/calls")
        await expect(page).to_have_url(re.compile(r"/admin/login\?next="))
    finally:
        await watched.close()


async def test_forms_without_the_csrf_token_or_from_another_site_are_refused(
    admin: Page, server: WebphoneServer, foreign: Site
) -> None:
    form: dict[str, str | float | bool] = {
        "id": "sneaky",
        "width": "300",
        "username": "alice",
        "allowed_destinations": "*",
    }
    request = admin.context.request  # the admin's cookies: signed in
    same_origin = {"origin": server.base_url}

    refused = await request.post("/admin/components/new", form=form, headers=same_origin)
    assert refused.status == 403
    assert "did not come from this admin" in await refused.text()
    refused = await request.post(
        "/admin/components/new", form={**form, "csrf": "forged"}, headers=same_origin
    )
    assert refused.status == 403

    # The page's own token gets past the check (the form then fails validation: no change).
    await admin.goto("/admin/components/new")
    token = await admin.locator('#component-form input[name="csrf"]').input_value()
    checked = await request.post(
        "/admin/components/new", form={**form, "csrf": token, "width": "1"}, headers=same_origin
    )
    assert checked.status == 400

    # A page of another site, opened in the signed-in admin's browser, posts the form itself.
    attack = foreign.put(
        "/win-a-prize",
        f'<form method="post" action="{server.base_url}/admin/components/new">'
        + "".join(f'<input type="hidden" name="{k}" value="{v}">' for k, v in form.items())
        + "<button>Claim your prize</button></form>",
        title="You won",
    )
    page = await admin.context.new_page()
    await page.goto(attack)
    async with page.expect_response(f"{server.base_url}/admin/components/new") as info:
        await page.get_by_role("button", name="Claim your prize").click()
    assert (await info.value).status == 403
    await expect(page.get_by_text("This form was sent from another site.")).to_be_visible()
    await page.close()

    missing = await request.get("/admin/components/sneaky/edit")
    assert missing.status == 404


async def test_an_embedded_phone_calls_echo_and_is_refused_bob_and_the_admin_shows_both(
    browser: Browser, server: WebphoneServer, allowed: Site, snippet: str, admin: Page, shots: Path
) -> None:
    watched, phone, received = await _visitor_page(browser, server, allowed, snippet, "/contact")
    try:
        await phone.registered()  # Auto register, with the saved account
        await phone.dial("echo")
        answer = (await phone.wait_event("answer"))["detail"]
        assert answer["remoteUri"].startswith("sip:echo@")
        call_id = answer["callId"]
        stats = await phone.wait_stats(lambda s: s.hearing, what="echoed audio")
        assert stats.energy > 0 and stats.on_loopback
        await phone.click("Hang up")
        ended = (await phone.wait_event("end"))["detail"]
        assert ended["call_id"] == call_id and ended["sip_status"] == 200

        # bob is not among the phone's destinations: refused, and the visitor is told so
        # (the Call button says it on the status line; the API rejects with the code).
        await phone.dial("bob")
        await expect(phone.status).to_contain_text("this phone may not call bob@")
        refusal = await phone.evaluate(
            "try { await el.makeCall('bob'); return null; }"
            " catch (e) { return {code: e.code, message: e.message}; }"
        )
        assert refusal is not None and refusal["code"] == "forbidden_destination", refusal
        assert (await phone.state())["call"] is None
        assert await phone.peer_connections() == 1  # the echo call's only: no media for bob

        # The saved password reached the page nowhere: no HTTP response, no gateway message.
        bodies = await received.bodies()
        assert any(f"/tickets/{COMPONENT}" in url for url in bodies), bodies.keys()
        assert sum('"forbidden_destination"' in frame for frame in received.frames) == 2
        leaks = [url for url, body in bodies.items() if SIP_PASSWORD in body]
        leaks += [frame for frame in received.frames if SIP_PASSWORD in frame]
        assert not leaks, leaks
    finally:
        await watched.close()

    # The three calls in the admin's list of calls, the phone's filter on.
    await admin.goto(f"/admin/calls?component={COMPONENT}")
    rows = admin.locator("table.calls tbody tr")
    await expect(rows).to_have_count(3)
    echo = rows.filter(has_text="echo")
    await expect(echo).to_have_count(1)
    await expect(echo).to_contain_text("answered")
    await expect(echo).to_contain_text("alice")
    refused = rows.filter(has_text="bob")
    await expect(refused).to_have_count(2)
    for row in await refused.all():
        await expect(row).to_contain_text("refused: ")
    await admin.screenshot(path=shots / "calls.png", full_page=True)
    # The exported rows are the same calls: the echo call by its id.
    export = await admin.context.request.get(f"/admin/calls.csv?component={COMPONENT}")
    lines = (await export.text()).splitlines()
    assert len(lines) == 4, lines
    assert any(call_id in line and ",200," in line for line in lines[1:]), lines
    assert sum(",refused: " in line for line in lines[1:]) == 2, lines
    assert SIP_PASSWORD not in await admin.content()

    # And in the reports: the three calls, one answered, drawn in the calls-per-hour chart.
    await admin.goto("/admin/reports")
    tiles = {
        (await tile.locator(".tile-label").text_content() or "").strip(): (
            await tile.locator(".tile-value").text_content() or ""
        ).strip()
        for tile in await admin.locator(".tile").all()
    }
    assert (tiles["Calls"], tiles["Answered"], tiles["Answer rate"]) == ("3", "1", "33%"), tiles
    chart = admin.get_by_role("img", name="Calls per hour")
    await expect(chart).to_be_visible()
    bars = chart.locator("rect title").filter(has_text="3 calls, 1 answered")
    await expect(bars).to_have_count(2)  # the hour's column: answered, and not answered
    # The talk time was well under a minute: the minutes axis still tells its ticks apart.
    length = admin.get_by_role("img", name="Average call length")
    ticks = await length.locator('text[text-anchor="end"]').all_text_contents()
    assert len(ticks) > 2 and len(set(ticks)) == len(ticks), ticks
    await admin.screenshot(path=shots / "reports.png", full_page=True)


async def test_a_page_of_a_site_not_allowed_gets_no_session(
    browser: Browser, server: WebphoneServer, foreign: Site, allowed: Site, snippet: str
) -> None:
    watched, phone, received = await _visitor_page(browser, server, foreign, snippet, "/stolen")
    try:
        error = (await phone.wait_event("error"))["detail"]
        assert error["code"] == "forbidden"
        await expect(phone.status).to_contain_text(error["message"])
        state = await phone.state()
        assert state["registration"] == "unregistered"
        # Its ticket request was refused, and without CORS headers the page could not even
        # read that answer; the allowed site's page gets a ticket, readable by that site only.
        assert any(url.endswith(f"/tickets/{COMPONENT}") for url in received.failed)
        asked = watched.context.request
        for origin, status in ((foreign.origin, 403), (allowed.origin, 200)):
            answer = await asked.get(f"/tickets/{COMPONENT}", headers={"origin": origin})
            assert answer.status == status
            cors = answer.headers.get("access-control-allow-origin")
            assert cors == (origin if status == 200 else None)
        assert not any(SIP_PASSWORD in frame for frame in received.frames)
    finally:
        await watched.close()


async def test_the_saved_look_applies_to_the_embedded_phone(
    browser: Browser, server: WebphoneServer, allowed: Site, snippet: str, admin: Page
) -> None:
    # The snippet has no attributes: the width and the Show switches come from the saved phone.
    await admin.goto(f"/admin/components/{COMPONENT}/edit")
    await admin.get_by_label("Width (pixels)").fill("260")
    await admin.get_by_label("Dialpad", exact=True).uncheck()
    await admin.get_by_label("Hold", exact=True).uncheck()
    await admin.get_by_role("button", name="Save changes").click()
    await expect(admin.get_by_text("Saved.", exact=False)).to_be_visible()
    watched, phone, _ = await _visitor_page(browser, server, allowed, snippet, "/look")
    try:
        await phone.registered()
        await expect(phone.part("dialpad")).to_be_hidden()
        await expect(phone.part("dial")).to_be_visible()
        box = await phone.element.bounding_box()
        assert box is not None and abs(box["width"] - 260) <= 2, box
        await phone.dial("echo")
        await phone.wait_event("answer")
        await expect(phone.button("Mute")).to_be_visible()
        await expect(phone.button("Hold")).to_be_hidden()
        await phone.click("Hang up")
        await phone.wait_event("end")
    finally:
        await watched.close()
