"""SIPp load through the embedded SIP server: the sustained call rate and the failed calls.

A SIPp UAS registers as bob with digest auth; a SIPp UAC calls bob as alice at `--rate` calls
per second for `--duration` seconds (INVITE, 407, INVITE with credentials, 180, 200, ACK, BYE,
200) over UDP. The server runs in this process, SIPp in two others. Runs in a loopback-only
network namespace (re-executing itself under `unshare --net` when needed, as root):

    .venv/bin/python benchmarks/sipp_load.py --rate 200 --duration 10
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from support.netns import in_loopback_namespace, reexec_in_namespace
from support.services import Sipp, free_port
from webphone.sipserver import DictDirectory, ServerConfig, SipServer

USERS = {"alice": "alice-secret", "bob": "bob-secret"}


async def measure(rate: float, duration: float, no_auth_cache: bool) -> int:
    config = ServerConfig(
        udp=("127.0.0.1", free_port("udp")),
        tcp=None,
        ws=None,
        user_cache_ttl=0.0 if no_auth_cache else 1.0,
    )
    calls = max(1, round(rate * duration))
    async with SipServer(config, DictDirectory(USERS)) as server:
        assert server.udp is not None
        target = f"127.0.0.1:{server.udp.local[1]}"
        registration = Sipp("register_auth", target, service="bob", auth=("bob", "bob-secret"))
        registered = await asyncio.to_thread(registration.run)
        if not registered.ok:
            print(registered.summary())
            return 1
        limit = duration + 60
        uas = Sipp(
            "uas", service="bob", local_port=registration.local_port, calls=calls, timeout=limit
        )
        uac = Sipp(
            "uac_auth",
            target,
            service="bob",
            keys={"caller": "alice"},
            auth=("alice", "alice-secret"),
            calls=calls,
            rate=rate,
            timeout=limit,
        )
        uas.start()
        cpu, wall = time.process_time(), time.monotonic()
        try:
            result = await asyncio.to_thread(uac.run)
        finally:
            await asyncio.to_thread(uas.stop)
        cpu, wall = time.process_time() - cpu, time.monotonic() - wall
    sustained = result.successful / wall if wall else 0.0
    print(f"offered:    {calls} calls at {rate:g} cps ({duration:g} s)")
    print(f"successful: {result.successful}   failed: {result.failed}")
    reported = result.stats.call_rate if result.stats else 0.0
    print(f"sustained:  {sustained:.1f} calls/s over {wall:.1f} s (SIPp: {reported:.1f} cps)")
    print(f"server CPU: {cpu:.2f} s ({100 * cpu / wall:.0f}% of one core)")
    print(f"UDP datagrams dropped by full socket buffers: {udp_drops()}")
    if not result.ok:
        print(result.summary())
    return 0 if result.ok and result.failed == 0 else 1


def udp_drops() -> int:
    """RcvbufErrors of this network namespace: datagrams lost because a reader fell behind."""
    lines = [line.split() for line in Path("/proc/net/snmp").read_text().splitlines()]
    header, values = [row for row in lines if row[0] == "Udp:"][:2]
    return int(values[header.index("RcvbufErrors")])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=200.0, help="calls per second")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of calls")
    parser.add_argument(
        "--no-auth-cache", action="store_true", help="look every password up (no 1 s cache)"
    )
    args = parser.parse_args()
    if not in_loopback_namespace():
        reexec_in_namespace([sys.executable, *sys.argv])
    logging.basicConfig(level=logging.WARNING)
    return asyncio.run(measure(args.rate, args.duration, args.no_auth_cache))


if __name__ == "__main__":
    sys.exit(main())
