"""Video calls: with the `video` attribute, each page sends its camera and shows the other's."""

from __future__ import annotations

import functools

import pytest

from .helpers import PageOpener, instant_phone

pytestmark = pytest.mark.asyncio(loop_scope="module")

# The remote and local <video> of the element, and the inbound video RTP of its connection.
VIDEO_JS = """
async () => {
  const root = document.querySelector("web-phone").shadowRoot;
  const [remote, local] = [root.getElementById("rv"), root.getElementById("lv")];
  const pc = window.__wpt.pcs.at(-1);
  const inbound = [...(await pc.getStats()).values()].find(
    (s) => s.type == "inbound-rtp" && (s.kind ?? s.mediaType) == "video");
  return {
    remote: [remote.videoWidth, remote.videoHeight], local: [local.videoWidth, local.videoHeight],
    shown: root.querySelector("[data-part=video]").checkVisibility(),
    bytes: inbound?.bytesReceived ?? 0, frames: inbound?.framesDecoded ?? 0,
  };
}
"""


async def test_a_video_call_shows_both_pictures(open_phone: PageOpener) -> None:
    alice = await instant_phone(open_phone, "alice", video=True)
    bob = await instant_phone(open_phone, "bob", video=True)
    await alice.dial("bob")
    assert (await bob.wait_event("ringingin"))["detail"]["video"] is True
    await bob.click("Answer")
    await alice.in_call()
    await bob.in_call()
    for phone in (alice, bob):
        seen = await phone.wait_for(
            functools.partial(phone.page.evaluate, VIDEO_JS),
            lambda v: v["frames"] > 10 and min(v["remote"]) > 0,
            10,
            "remote video frames",
        )
        assert seen["shown"] and min(seen["local"]) > 0  # the camera is shown too
        assert seen["bytes"] > 10_000
    await alice.click("Hang up")
    await bob.wait_event("end")
