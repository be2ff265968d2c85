"""Parse and serialise speed of the SIP core, on one core, in pure Python.

Run: .venv/bin/python benchmarks/sip_parse.py   (results go in docs/benchmarks.md)
The messages are real captures: a 2 KB JsSIP INVITE with Chromium's SDP, a 1 KB INVITE built to
the issue's "typical" size, and a REGISTER.
"""

from __future__ import annotations

import functools
import platform
import time
from collections.abc import Callable
from pathlib import Path

from webphone.sip import parse

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "sip"
TARGET_INVITE_PARSES = 40_000


def typical_invite() -> bytes:
    """A 1 KB INVITE: the captured one with its SDP cut to a plain audio offer."""
    sdp = (
        b"v=0\r\no=- 4435666084710667115 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
        b"m=audio 47629 UDP/TLS/RTP/SAVPF 111 0 8 126\r\nc=IN IP4 127.0.0.1\r\n"
        b"a=candidate:4160902832 1 udp 2122260223 127.0.0.1 47629 typ host generation 0\r\n"
        b"a=ice-ufrag:GPHs\r\na=ice-pwd:0P5VyhTGNgt0/GTT8LHdD9rk\r\n"
        b"a=fingerprint:sha-256 FC:80:F5:E2:F5:EC:84:95:0F:EE:62:E8:1F:BC:56:CD:1A:F7:CB:73:21:"
        b"6F:3A:2F:81:7F:0B:ED:4F:9B:86:4D\r\na=setup:actpass\r\na=mid:0\r\na=sendrecv\r\n"
        b"a=rtcp-mux\r\na=rtpmap:111 opus/48000/2\r\na=rtpmap:0 PCMU/8000\r\n"
        b"a=rtpmap:8 PCMA/8000\r\na=rtpmap:126 telephone-event/8000\r\n"
    )
    head = (FIXTURES / "07-alice-to-kamailio-invite.sip").read_bytes().split(b"\r\n\r\n")[0]
    head = head.replace(b"Content-Length: 1552", b"Content-Length: %d" % len(sdp))
    return head + b"\r\n\r\n" + sdp


def rate(fn: Callable[[], object], seconds: float = 1.0, repeat: int = 5) -> float:
    """Best-of-`repeat` calls per CPU second (process time, so other load matters less)."""
    n = 1000
    while True:  # size the batch to about `seconds`
        start = time.process_time()
        for _ in range(n):
            fn()
        elapsed = time.process_time() - start
        if elapsed > seconds / 4:
            break
        n *= 2
    n = int(n * seconds / elapsed)
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        for _ in range(n):
            fn()
        best = min(best, time.process_time() - start)
    return n / best


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main() -> None:
    cases = {
        "INVITE 1 KB (SDP)": typical_invite(),
        "INVITE 2 KB (JsSIP + Chromium SDP)": (
            FIXTURES / "07-alice-to-kamailio-invite.sip"
        ).read_bytes(),
        "REGISTER with digest": (
            FIXTURES / "05-alice-to-kamailio-register-with-authorization.sip"
        ).read_bytes(),
    }
    print(f"Python {platform.python_version()} on {platform.machine()}, {cpu_model()}")
    print("| message | bytes | parse / s | serialise / s |")
    print("|---|---:|---:|---:|")
    results = {}
    for name, data in cases.items():
        message = parse(data)
        assert parse(bytes(message)) == message
        parses = rate(functools.partial(parse, data))
        serialises = rate(message.__bytes__)
        results[name] = parses
        print(f"| {name} | {len(data)} | {parses:,.0f} | {serialises:,.0f} |")
    verdict = "meets" if results["INVITE 1 KB (SDP)"] >= TARGET_INVITE_PARSES else "MISSES"
    print(f"\n1 KB INVITE parse {verdict} the target of {TARGET_INVITE_PARSES:,}/s")


if __name__ == "__main__":
    main()
