"""Page helpers for the browser tests: what runs inside Chromium, and a Python handle on a phone.

`TRACKER_JS` is an init script (`context.add_init_script`): before any page script runs it wraps
`window.RTCPeerConnection` and `window.WebSocket` so that every peer connection and socket the
component makes is kept in `window.__wpt` (to read `getStats()` and to drop the gateway socket;
`window.__wpt.offline = "ws://127.0.0.1:<dead port>/"` sends new sockets there instead, as if
the server were gone), and records every event a `<web-phone>` element fires (type, element id,
detail, time since navigation start). `window.__wpt.stats(index)` summarises one peer
connection's `getStats()`: inbound and outbound audio RTP and the selected candidate pair.

The webphone server under test is started the same way by the tests and by
benchmarks/browser_timings.py: `start_webphone_server()`.

`PhonePage` drives one `<web-phone>` element of a page by role and accessible name, as a user
would, and reads its state, its recorded events and its media statistics.
"""

from __future__ import annotations

import asyncio
import html
import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from playwright.async_api import Locator, Page

from support.phones import USERS
from support.services import LOOPBACK, ServiceError, free_port, stop_process
from webphone.phone import MEDIA_HOSTS_ENV

__all__ = [
    "CHROMIUM",
    "CHROMIUM_ARGS",
    "CONTEXT_PERMISSIONS",
    "EVENT_TYPES",
    "QUIET_JS",
    "TRACKER_JS",
    "PageOpener",
    "PhonePage",
    "RtpStats",
    "WebphoneServer",
    "instant_phone",
    "page_html",
    "start_webphone_server",
    "web_phone",
    "webphone_command",
]

T = TypeVar("T")

CHROMIUM = "/usr/bin/chromium"
"""Debian's Chromium; Playwright drives it (never `playwright install`)."""

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    "--allow-loopback-in-peer-connection",
    "--disable-features=WebRtcHideLocalIpsWithMdns",
    "--autoplay-policy=no-user-gesture-required",
]
"""The flags TESTING.md lists: fake microphone and camera, loopback ICE, a quiet closed network."""

CONTEXT_PERMISSIONS = ["microphone", "camera", "local-network-access"]
"""Microphone and camera for the fake devices. The test pages are served by Playwright's router
at the webphone server's own origin, and Chromium classes a routed document as "public", so its
Local Network Access checks would block the page's WebSocket to 127.0.0.1 without the third
permission (a page really served by a loopback server needs no such permission)."""

EVENT_TYPES = [
    "registered",
    "unregistered",
    "ringingin",
    "ringingout",
    "answer",
    "end",
    "error",
    "connection",
    "hold",
    "dtmf",
    "statechange",
]
"""Every event type docs/component.md lists for `<web-phone>`."""

TRACKER_JS = (
    """
(() => {
  if (window.__wpt) return;
  const T = (window.__wpt = { pcs: [], sockets: [], events: [] });
  const NativePC = window.RTCPeerConnection;
  window.RTCPeerConnection = class extends NativePC {
    constructor(...args) { super(...args); T.pcs.push(this); }
  };
  // While T.offline holds a URL (of a dead port), new sockets go there: the server looks gone.
  const NativeWS = window.WebSocket;
  window.WebSocket = class extends NativeWS {
    constructor(url, ...rest) { super(T.offline || url, ...rest); T.sockets.push(this); }
  };
  // The element's events bubble and are composed: one capturing listener per type sees them all.
  const copy = (v) => (v === undefined ? null : JSON.parse(JSON.stringify(v)));
  for (const type of """
    + json.dumps(EVENT_TYPES)
    + """) {
    document.addEventListener(type, (e) => {
      const el = e.target;
      if (!(e instanceof CustomEvent) || el?.localName != "web-phone") return;
      T.events.push({ type, phone: el.id || null, detail: copy(e.detail), at: performance.now() });
    }, true);
  }
  // One peer connection's getStats(), summarised (audio only).
  T.summary = async (pc) => {
    if (!pc) return null;
    const report = await pc.getStats(), all = [...report.values()];
    const audio = (type) => all.find((s) => s.type == type && (s.kind ?? s.mediaType) == "audio");
    const inb = audio("inbound-rtp"), out = audio("outbound-rtp");
    const transport = all.find((s) => s.type == "transport");
    const pair = report.get(transport?.selectedCandidatePairId)
      || all.find((s) => s.type == "candidate-pair" && s.nominated && s.state == "succeeded");
    const address = (id) => {
      const c = id && report.get(id);
      return c ? (c.address ?? c.ip) : null;
    };
    const codec = report.get(inb?.codecId ?? out?.codecId);
    return {
      connection_state: pc.connectionState,
      packets_received: inb?.packetsReceived ?? 0,
      bytes_received: inb?.bytesReceived ?? 0,
      audio_level: inb?.audioLevel ?? null,
      total_audio_energy: inb?.totalAudioEnergy ?? null,
      packets_sent: out?.packetsSent ?? 0,
      bytes_sent: out?.bytesSent ?? 0,
      codec: codec?.mimeType ?? null,
      local_address: address(pair?.localCandidateId),
      remote_address: address(pair?.remoteCandidateId),
      directions: pc.getTransceivers().map((t) => t.currentDirection ?? t.direction),
    };
  };
  // The newest peer connection (index -1) or another one.
  T.stats = (index = -1) => T.summary(T.pcs.at(index));
})();
"""
)


QUIET_JS = """
async () => {
  // Hang up and unregister every phone of the page, so its gateway session (kept 30 s after
  // the page goes) leaves nothing registered behind for the next test.
  const settle = (p) =>
    Promise.race([Promise.resolve(p).catch(() => {}), new Promise((r) => setTimeout(r, 2000))]);
  for (const el of document.querySelectorAll("web-phone")) {
    if (!el.state) continue;
    if (el.state.call) await settle(el.hangup());
    if (el.state.registration != "unregistered") await settle(el.unregister());
  }
}
"""


def web_phone(**attributes: str | int | bool | None) -> str:
    """`<web-phone ...>` markup: `auto_register=True` -> `auto-register`, None/False -> left out."""
    parts = ["web-phone"]
    for name, value in attributes.items():
        attr = name.rstrip("_").replace("_", "-")
        if value is True:
            parts.append(attr)
        elif value is not None and value is not False:
            parts.append(f'{attr}="{html.escape(str(value))}"')
    return f"<{' '.join(parts)}></web-phone>"


def page_html(body: str, title: str = "webphone browser test") -> str:
    """A whole page: the component's module script and `body`."""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{title}</title>"
        '<script type="module" src="/webphone.js"></script>'
        "<style>body{margin:16px;font-family:sans-serif;background:#f4f6fa}</style>"
        f"</head><body>{body}</body></html>"
    )


@dataclass(frozen=True, slots=True)
class RtpStats:
    """`window.__wpt.stats()`: one peer connection's audio RTP and selected candidate pair."""

    connection_state: str
    packets_received: int
    bytes_received: int
    audio_level: float | None
    total_audio_energy: float | None
    packets_sent: int
    bytes_sent: int
    codec: str | None
    local_address: str | None
    remote_address: str | None
    directions: tuple[str, ...]

    @classmethod
    def from_js(cls, raw: dict[str, Any]) -> RtpStats:
        return cls(**{**raw, "directions": tuple(raw["directions"])})

    @property
    def energy(self) -> float:
        return self.total_audio_energy or 0.0

    @property
    def hearing(self) -> bool:
        """Audio arrives and carries sound (the far end's tone or Chromium's beep)."""
        return self.bytes_received > 0 and self.energy > 0

    @property
    def on_loopback(self) -> bool:
        """The selected ICE candidate pair is 127.0.0.1 on both sides."""
        return self.local_address == self.remote_address == "127.0.0.1"


PageOpener = Callable[..., Awaitable["PhonePage"]]
"""The `open_phone` fixture: `await open_phone(body, selector="web-phone")` -> PhonePage."""


async def instant_phone(open_phone: PageOpener, user: str, **attributes: str | bool) -> PhonePage:
    """A page with the instant phone of `user` (support.phones.USERS), once registered."""
    phone = await open_phone(
        web_phone(id=user, auto_register=True, username=user, password=USERS[user], **attributes)
    )
    await phone.registered()
    return phone


class PhonePage:
    """One `<web-phone>` element on a Playwright page (`selector` picks which)."""

    def __init__(self, page: Page, selector: str = "web-phone") -> None:
        self.page = page
        self.selector = selector
        self._js = f"document.querySelector({json.dumps(selector)})"

    # Finding the controls, by role and accessible name.

    @property
    def element(self) -> Locator:
        return self.page.locator(self.selector)

    def button(self, name: str) -> Locator:
        """An action button: "Call", "Answer", "Decline", "Hang up", "Hold", "Mute"."""
        return self.element.get_by_role("button", name=name, exact=True)

    @property
    def dialpad(self) -> Locator:
        return self.element.get_by_role("group", name="Dial pad")

    def key(self, digit: str) -> Locator:
        return self.dialpad.get_by_role("button", name=digit, exact=True)

    @property
    def number_box(self) -> Locator:
        return self.element.get_by_role("textbox", name="Number to call")

    @property
    def status(self) -> Locator:
        return self.element.get_by_role("status")

    def part(self, name: str) -> Locator:
        """The showable part with `data-part=name`."""
        return self.element.locator(f'[data-part="{name}"]')

    async def click(self, target: str | Locator) -> None:
        """Clicks `target` (a button's name, or a locator) with this page in front, as a user
        would: a page left behind another waits ~2 s for Playwright's stability check."""
        await self.page.bring_to_front()
        await (self.button(target) if isinstance(target, str) else target).click()

    async def dial(self, number: str) -> None:
        """Types `number` into the number box and clicks Call."""
        await self.number_box.fill(number)
        await self.click("Call")

    # Reading and calling the element.

    async def evaluate(self, body: str, arg: Any = None) -> Any:
        """Runs `body` (a JS function body) with `el` (the element) and `arg` in scope."""
        script = f"async (arg) => {{ const el = {self._js}; {body} }}"
        return await self.page.evaluate(script, arg)

    async def call(self, method: str, *args: Any) -> Any:
        """Calls an API method of the element and returns what its Promise resolves to."""
        return await self.evaluate("return await el[arg.m](...arg.a);", {"m": method, "a": args})

    async def state(self) -> dict[str, Any]:
        state: dict[str, Any] = await self.evaluate("return el.state;")
        return state

    async def defined(self, timeout: float = 5.0) -> None:
        """Waits until the element is upgraded (the module script ran)."""
        await self.page.wait_for_function(
            f"{self._js}?.state !== undefined", timeout=timeout * 1000, polling=20
        )

    async def events(self, type: str | None = None) -> list[dict[str, Any]]:
        """Events this element fired so far: `{type, phone, detail, at}`, oldest first."""
        events: list[dict[str, Any]] = await self.evaluate(
            "const id = el.id || null; return window.__wpt.events.filter((e) => e.phone == id);"
        )
        return [e for e in events if type is None or e["type"] == type]

    async def wait_event(self, type: str, count: int = 1, timeout: float = 10.0) -> dict[str, Any]:
        """The `count`-th event of `type` (waiting for it): `{type, phone, detail, at}`."""
        events: list[dict[str, Any]] = await self.wait_for(
            lambda: self.events(type),
            lambda found: len(found) >= count,
            timeout,
            f"{type} x{count}",
        )
        return events[count - 1]

    async def wait_state(
        self, check: Callable[[dict[str, Any]], bool], timeout: float = 10.0, what: str = "state"
    ) -> dict[str, Any]:
        return await self.wait_for(self.state, check, timeout, what)

    async def registered(self, timeout: float = 10.0) -> dict[str, Any]:
        return await self.wait_state(
            lambda s: s["registration"] == "registered", timeout, "registered"
        )

    async def in_call(self, state: str = "active", timeout: float = 10.0) -> dict[str, Any]:
        return await self.wait_state(
            lambda s: (s["call"] or {}).get("state") == state, timeout, f"call {state}"
        )

    async def stats(self, index: int = -1) -> RtpStats:
        """The statistics of the page's newest (or `index`-th) peer connection."""
        stats = await self._stats(index)
        if stats is None:
            raise AssertionError("the page has no RTCPeerConnection")
        return stats

    async def _stats(self, index: int = -1) -> RtpStats | None:
        raw = await self.page.evaluate("(i) => window.__wpt.stats(i)", index)
        return None if raw is None else RtpStats.from_js(raw)

    async def wait_stats(
        self, check: Callable[[RtpStats], bool], timeout: float = 10.0, what: str = "stats"
    ) -> RtpStats:
        """Statistics of the newest peer connection once `check` holds (waits for one)."""
        stats = await self.wait_for(
            self._stats, lambda s: s is not None and check(s), timeout, what
        )
        assert stats is not None
        return stats

    async def peer_connections(self) -> int:
        count: int = await self.page.evaluate("window.__wpt.pcs.length")
        return count

    async def status_text(self) -> str:
        return (await self.status.text_content() or "").strip()

    @staticmethod
    async def wait_for(
        read: Callable[[], Awaitable[T]],
        check: Callable[[T], bool],
        timeout: float = 10.0,
        what: str = "condition",
        interval: float = 0.05,
    ) -> T:
        """Reads `await read()` until `check(value)`; the last value, or AssertionError."""
        deadline = time.monotonic() + timeout
        while True:
            value: T = await read()
            if check(value):
                return value
            if time.monotonic() >= deadline:
                raise AssertionError(f"no {what} within {timeout:g} s; last: {value!r}")
            await asyncio.sleep(interval)

    async def flow(self, seconds: float) -> tuple[RtpStats, RtpStats]:
        """Statistics now and `seconds` later."""
        before = await self.stats()
        await asyncio.sleep(seconds)
        return before, await self.stats()


# The server under test: `webphone serve` as a subprocess.


def webphone_command(*args: str) -> list[str]:
    """The `webphone` command line of this interpreter's installation."""
    return [sys.executable, "-m", "webphone.cli", *args]


@dataclass
class WebphoneServer:
    """A running `webphone serve` on 127.0.0.1 (stop it with `stop()`)."""

    port: int
    data_dir: Path
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def base_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def sip_url(self) -> str:
        """The embedded SIP server (SIP over WebSocket, for headless Python phones)."""
        return f"ws://{LOOPBACK}:{self.port}/sip"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> int:
        """SIGTERM by PID (SIGKILL after 5 s); its exit status."""
        return stop_process(self.process)


def start_webphone_server(
    data_dir: Path, users: Mapping[str, str], *, timeout: float = 20.0
) -> WebphoneServer:
    """`webphone user add` for each user, then `webphone serve` on a free port; waits for
    /healthz. Media of in-process endpoints (echo) stays on 127.0.0.1."""
    for name, password in users.items():
        command = webphone_command("user", "add", name, "--password", password)
        added = subprocess.run(
            [*command, "--data-dir", str(data_dir)],
            check=False,
            capture_output=True,
            text=True,
            timeout=60,
        )
        if added.returncode != 0:
            raise ServiceError(f"webphone user add {name} failed: {added.stderr.strip()}")
    port = free_port()
    log_path = data_dir / "serve.log"
    command = webphone_command(
        "serve",
        "--host",
        LOOPBACK,
        "--port",
        str(port),
        "--data-dir",
        str(data_dir),
        "--no-demo-users",
        "--media-host",
        LOOPBACK,
    )
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, MEDIA_HOSTS_ENV: LOOPBACK},
            start_new_session=True,
        )
    server = WebphoneServer(port, data_dir, process, log_path)
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise ServiceError(f"webphone serve exited with {process.returncode}:\n{server.log()}")
        try:
            with urllib.request.urlopen(f"{server.base_url}/healthz", timeout=1) as response:
                health = json.load(response)
            if health.get("status") == "ok":
                return server
        except OSError:
            pass
        if time.monotonic() >= deadline:
            server.stop()
            raise ServiceError(f"webphone serve not healthy after {timeout:g} s:\n{server.log()}")
        time.sleep(0.05)
