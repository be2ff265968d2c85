"""How fast the browser phone feels: page load to registered, call setup, hold, hang-up.

Starts `webphone serve` (users made with `webphone user add`, the embedded SIP server, media
on 127.0.0.1) and Debian's Chromium (Playwright, fake microphone) the way tests/browser does,
then measures, `--runs` times each (after one warm-up run that is not counted):

- load -> registered: navigation start of a page holding `<web-phone auto-register ...>` to
  its `registered` event (the page's own clock, `performance.now()`);
- call setup: `makeCall()` to the `answer` event, with a far end that answers at once: a
  headless Python Phone (auto_answer=True) registered to the same embedded server, and `echo`;
- hold: `hold()` until its Promise resolves (the re-INVITE answered); unhold the same;
- hang-up: `hangup()` to the `end` event.

Prints a Markdown table with the median and 90th percentile of each and whether the target is
met (load < 250 ms, call setup < 200 ms, hold and hang-up < 50 ms). Runs in a loopback-only
network namespace, re-executing itself under `unshare --net` when needed (as root):

    .venv/bin/python benchmarks/browser_timings.py [--runs 20] [--strict]

`--strict`: exit status 1 when a target is missed (default: 0, the table says it).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from support.netns import in_loopback_namespace, reexec_in_namespace

LOAD_TARGET_MS = 250.0
SETUP_TARGET_MS = 200.0
HOLD_TARGET_MS = 50.0
HANGUP_TARGET_MS = 50.0

# One call, timed in the page by its own clock, so no Playwright round trip is counted.
CALL_JS = """
async (target) => {
  const el = document.querySelector("web-phone");
  const next = (type) => new Promise((done) =>
    el.addEventListener(type, () => done(performance.now()), { once: true }));
  const answered = next("answer");
  const t0 = performance.now();
  await el.makeCall(target);
  const setup = (await answered) - t0;
  await new Promise((done) => setTimeout(done, 200));  // media flowing
  let t = performance.now();
  await el.hold();
  const hold = performance.now() - t;
  t = performance.now();
  await el.unhold();
  const unhold = performance.now() - t;
  const ended = next("end");
  t = performance.now();
  await el.hangup();
  const hangup = (await ended) - t;
  return { setup, hold, unhold, hangup };
}
"""

# Navigation start (performance.now() == 0) to the registered event, as the tracker saw it.
REGISTERED_AT_JS = """
() => window.__wpt.events.find((e) => e.type == "registered")?.at ?? null
"""


@dataclass
class Metric:
    name: str
    target_ms: float
    samples: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def p90(self) -> float:
        if len(self.samples) < 2:
            return self.samples[0]
        return statistics.quantiles(self.samples, n=10, method="inclusive")[8]

    @property
    def met(self) -> bool:
        return self.p90 < self.target_ms

    def row(self) -> str:
        verdict = "yes" if self.met else "**no**"
        return (
            f"| {self.name} | {len(self.samples)} | {self.median:.1f} | {self.p90:.1f} "
            f"| < {self.target_ms:g} | {verdict} |"
        )


async def measure(runs: int) -> tuple[list[Metric], str]:
    # Imported here: the namespace check above must not wait for Playwright and aiortc.
    from playwright.async_api import BrowserContext, async_playwright  # noqa: PLC0415

    from browser.helpers import (  # noqa: PLC0415
        CHROMIUM,
        CHROMIUM_ARGS,
        CONTEXT_PERMISSIONS,
        QUIET_JS,
        TRACKER_JS,
        PhonePage,
        page_html,
        start_webphone_server,
        web_phone,
    )
    from support.phones import USERS  # noqa: PLC0415
    from webphone.phone import (  # noqa: PLC0415
        AiortcMedia,
        LevelMeter,
        Media,
        Phone,
        PhoneConfig,
        ToneSource,
    )

    with tempfile.TemporaryDirectory(prefix="webphone-timings-") as directory:
        server = start_webphone_server(Path(directory), USERS)
        try:
            async with async_playwright() as playwright:
                browser = await playwright.chromium.launch(
                    executable_path=CHROMIUM, args=CHROMIUM_ARGS
                )
                context: BrowserContext = await browser.new_context(
                    permissions=CONTEXT_PERMISSIONS, base_url=server.base_url
                )
                await context.add_init_script(TRACKER_JS)
                await context.route("**/favicon.ico", lambda route: route.fulfill(status=204))

                async def serve(path: str, body: str) -> None:
                    document = page_html(body)
                    await context.route(
                        server.base_url + path,
                        lambda route: route.fulfill(body=document, content_type="text/html"),
                    )

                # Load -> registered, each run a new page (the script revalidated by ETag).
                await serve(
                    "/load",
                    web_phone(auto_register=True, username="bob", password=USERS["bob"]),
                )
                loads: list[float] = []
                for run in range(runs + 1):
                    page = await context.new_page()
                    await page.goto("/load")
                    phone = PhonePage(page)
                    await phone.registered()
                    at = await page.evaluate(REGISTERED_AT_JS)
                    if run > 0:  # the first is a warm-up
                        loads.append(float(at))
                    await page.evaluate(QUIET_JS)
                    await page.close()

                # Calls from one registered page.
                await serve(
                    "/calls",
                    web_phone(auto_register=True, username="alice", password=USERS["alice"]),
                )
                page = await context.new_page()
                await page.goto("/calls")
                alice = PhonePage(page)
                await alice.registered()

                def media(video: bool) -> Media:
                    return AiortcMedia(ToneSource(660.0), LevelMeter(), hosts=["127.0.0.1"])

                carol = Phone(
                    PhoneConfig(
                        ws_servers=(server.sip_url,), username="carol", password=USERS["carol"]
                    ),
                    media_factory=media,
                    auto_answer=True,
                )
                await carol.register()

                async def idle() -> None:
                    for _ in range(100):
                        if carol.call is None and (await alice.state())["call"] is None:
                            return
                        await asyncio.sleep(0.02)

                async def calls(target: str) -> list[dict[str, float]]:
                    results = []
                    for run in range(runs + 1):
                        await idle()
                        # A call is about a dozen messages on the page's socket, and the
                        # gateway allows 50 a second: a pause keeps the pace of a person.
                        await asyncio.sleep(0.5)
                        result: dict[str, float] = await page.evaluate(CALL_JS, target)
                        if run > 0:
                            results.append(result)
                    return results

                to_phone = await calls("carol")
                to_echo = await calls("echo")
                version = browser.version
                await carol.close()
                await page.evaluate(QUIET_JS)
                await browser.close()
        finally:
            server.stop()

    def column(results: list[dict[str, float]], key: str) -> list[float]:
        return [r[key] for r in results]

    metrics = [
        Metric("page load -> `registered`", LOAD_TARGET_MS, loads),
        Metric("call setup, Python Phone", SETUP_TARGET_MS, column(to_phone, "setup")),
        Metric("call setup, echo", SETUP_TARGET_MS, column(to_echo, "setup")),
        Metric("hold() resolves (Python Phone)", HOLD_TARGET_MS, column(to_phone, "hold")),
        Metric("unhold() resolves (Python Phone)", HOLD_TARGET_MS, column(to_phone, "unhold")),
        Metric("hold() resolves (echo)", HOLD_TARGET_MS, column(to_echo, "hold")),
        Metric("hangup() -> `end` (Python Phone)", HANGUP_TARGET_MS, column(to_phone, "hangup")),
        Metric("hangup() -> `end` (echo)", HANGUP_TARGET_MS, column(to_echo, "hangup")),
    ]
    return metrics, version


def report(metrics: list[Metric], version: str) -> str:
    lines = [
        f"Browser timings (Chromium {version}, {os.cpu_count()} CPUs, loopback; "
        f"target met when p90 < target)",
        "",
        "| metric | runs | median ms | p90 ms | target ms | met |",
        "|---|---:|---:|---:|---:|---|",
        *(metric.row() for metric in metrics),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20, help="measured runs of each (20)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    if not in_loopback_namespace():
        reexec_in_namespace([sys.executable, *sys.argv])
    metrics, version = asyncio.run(measure(args.runs))
    print(report(metrics, version))
    missed = [m.name for m in metrics if not m.met]
    print()
    print("All targets met." if not missed else f"Targets missed: {'; '.join(missed)}.")
    return 1 if missed and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())
