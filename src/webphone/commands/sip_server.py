"""`webphone sip-server`: the embedded registrar and proxy on its own, until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from collections.abc import Callable

from ..sipserver import ConfigError, ServerConfig, SipServer, parse_hostport
from ..sipserver.config import DEFAULT_TCP, DEFAULT_UDP, DEFAULT_WS, Address, format_hostport
from ..store import UserStore
from ._common import add_data_dir


def _listen(flag: str) -> Callable[[str], Address | None]:
    def parse(text: str) -> Address | None:
        if text.lower() in ("off", "none"):
            return None
        try:
            return parse_hostport(text, flag)
        except ConfigError as e:
            raise argparse.ArgumentTypeError(str(e).removeprefix(f"{flag}: ")) from None

    parse.__name__ = "HOST:PORT"  # what argparse calls the type in its messages
    return parse


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    server = subparsers.add_parser(
        "sip-server",
        help="run the embedded SIP registrar and proxy (UDP, TCP, WebSocket)",
        description="Run the embedded SIP registrar and proxy with the users of `webphone user`. "
        "Each listener takes HOST:PORT, or `off`.",
    )
    for flag, default in (("ws", DEFAULT_WS), ("udp", DEFAULT_UDP), ("tcp", DEFAULT_TCP)):
        server.add_argument(
            f"--{flag}",
            type=_listen(f"--{flag}"),
            default=default,
            metavar="HOST:PORT",
            help=f"the {flag.upper()} listener (default {format_hostport(default)}; off: none)",
        )
    server.add_argument(
        "--domain",
        help="the digest realm (default: the host of each request's Request-URI)",
    )
    add_data_dir(server)
    server.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    try:
        config = ServerConfig(udp=args.udp, tcp=args.tcp, ws=args.ws, domain=args.domain)
    except ConfigError as e:  # a field is a flag here (--domain)
        print(f"webphone sip-server: --{e}", file=sys.stderr)
        return 2
    return asyncio.run(serve(config, args.data_dir))


async def serve(config: ServerConfig, directory: str | None) -> int:
    """Run the server until SIGINT or SIGTERM: 0, or 2 when it cannot start."""
    store = UserStore.open(directory)
    server = SipServer(config, store)
    try:
        await server.start()
    except ConfigError as e:  # the field is the flag: udp, tcp, ws
        store.close()
        print(f"webphone sip-server: --{e}", file=sys.stderr)
        return 2
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        users = len(store.list())
        for line in server.listening():
            print(f"listening on {line}", flush=True)
        print(f"{users} SIP user(s); stop with Ctrl-C", flush=True)
        await stop.wait()
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(Exception):
                loop.remove_signal_handler(signum)
        await server.close()
        store.close()
    return 0
