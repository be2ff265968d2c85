"""`webphone serve`: the web app, the gateway and the embedded SIP server in one process."""

from __future__ import annotations

import argparse
import asyncio
import errno
import ipaddress
import secrets
import socket
import sys

import uvicorn

from ..phone.config import ConfigError as PhoneConfigError
from ..phone.media_hosts import parse_hosts
from ..sipserver import ConfigError, ServerConfig, SipServer, default_services, parse_hostport
from ..sipserver.config import Address
from ..store import Database, SipUsers
from ..web import Settings, create_app

DEMO_USERS = ("alice", "bob")


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = subparsers.add_parser(
        "serve",
        help="run the web phone: demo page, /webphone.js, the gateway and a SIP server",
        description="Serve the demo page at /, the component at /webphone.js, the gateway at "
        "/gateway, and the embedded SIP server at /sip (SIP over WebSocket), on one port.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=int, default=8080, help="HTTP port (default 8080)")
    serve.add_argument("--data-dir", help="where data lives (default: $WEBPHONE_DATA_DIR or "
                       "~/.local/share/webphone)")  # fmt: skip
    serve.add_argument(
        "--sip-server",
        help="external SIP-over-WebSocket servers (comma-separated) instead of the embedded one",
    )
    serve.add_argument(
        "--demo-users",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="create demo users alice and bob (default: only when listening on loopback)",
    )
    serve.add_argument("--udp", metavar="HOST:PORT", help="also serve SIP over UDP (for SIPp)")
    serve.add_argument("--tcp", metavar="HOST:PORT", help="also serve SIP over TCP")
    serve.add_argument("--tls-cert", help="PEM certificate chain: serve HTTPS and WSS")
    serve.add_argument("--tls-key", help="PEM private key of --tls-cert")
    serve.add_argument(
        "--media-host",
        help="addresses the echo service offers for media (default: every interface)",
    )
    serve.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    loopback = _is_loopback(args.host)
    try:
        settings = Settings(
            host=args.host,
            port=args.port,
            data_dir=args.data_dir,
            sip_servers=args.sip_server or (),
            demo_users=loopback if args.demo_users is None else args.demo_users,
            tls_cert=args.tls_cert,
            tls_key=args.tls_key,
        )
        udp = parse_hostport(args.udp, "udp") if args.udp else None
        tcp = parse_hostport(args.tcp, "tcp") if args.tcp else None
        hosts = parse_hosts(args.media_host, source="--media-host") if args.media_host else None
    except (ConfigError, PhoneConfigError, ValueError) as e:
        print(f"webphone serve: --{str(e).replace('_', '-')}", file=sys.stderr)
        return 2
    try:
        return asyncio.run(serve(settings, udp, tcp, hosts))
    except KeyboardInterrupt:
        return 0


async def serve(
    settings: Settings, udp: Address | None, tcp: Address | None, hosts: tuple[str, ...] | None
) -> int:
    """Run until SIGINT/SIGTERM; 2 when a port cannot be had."""
    db = Database.open(settings.data_dir)
    cut_off = db.cdrs.mark_cut_off()  # calls a previous run of this server left unfinished
    if cut_off:
        print(f"webphone: {cut_off} call(s) of the last run were cut off", flush=True)
    store = db.sip_users
    sip: SipServer | None = None
    try:
        if not settings.sip_servers:
            sip = SipServer(ServerConfig(udp=udp, tcp=tcp, ws=None), store, default_services(hosts))
            try:
                await sip.start()
            except ConfigError as e:
                print(f"webphone serve: --{e}", file=sys.stderr)
                return 2
        sock = _bind(settings)
        if sock is None:
            return 2
        loop = asyncio.get_running_loop()

        def keep(cdr: dict[str, object]) -> None:
            # Committed before anything else depends on it, off the event loop.
            loop.run_in_executor(None, lambda: db.cdrs.finish(cdr))

        app = create_app(settings, sip_app=sip.websocket_app() if sip else None, on_cdr=keep)
        config = uvicorn.Config(
            app,
            lifespan="on",
            log_config=None,
            ws_max_size=128 * 1024,
            ws_per_message_deflate=False,
            ssl_certfile=settings.tls_cert,
            ssl_keyfile=settings.tls_key,
        )
        server = uvicorn.Server(config)
        _welcome(settings, store, sock.getsockname()[1])
        await server.serve(sockets=[sock])
        return 0
    finally:
        if sip is not None:
            await sip.close()
        db.close()


def _bind(settings: Settings) -> socket.socket | None:
    """The listening socket, made here so that a busy port is a clear message, not a trace."""
    family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
    try:
        sock = socket.create_server((settings.host, settings.port), family=family)
    except OSError as e:
        why = "is in use" if e.errno == errno.EADDRINUSE else f"cannot be used: {e.strerror}"
        print(f"webphone serve: --port: {settings.host}:{settings.port} {why}", file=sys.stderr)
        return None
    # Small frames (SIP, gateway JSON) must not wait for delayed ACKs (Nagle).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def _welcome(settings: Settings, store: SipUsers, port: int) -> None:
    scheme = "https" if settings.tls_cert else "http"
    host = "localhost" if _is_loopback(settings.host) else settings.host
    base = f"{scheme}://{host}:{port}"
    print(f"webphone: the demo page is at {base}/", flush=True)
    print(f"  component {base}/webphone.js, gateway {base}/gateway", flush=True)
    if not settings.sip_servers:
        ws = "wss" if settings.tls_cert else "ws"
        print(f"  SIP over WebSocket at {ws}://{host}:{port}/sip (embedded server)", flush=True)
    if settings.demo_users:
        created = _create_demo_users(store)
        if created:
            print("Demo users, shown this once (reset with `webphone user passwd NAME`):")
            for name, password in created:
                print(f"  {name} / {password}: {base}/?user={name}&password={password}")
        elif all(name in store for name in DEMO_USERS):
            print(f"  demo users: {', '.join(DEMO_USERS)} (passwords shown at first start)")
    print("Press Ctrl-C to stop.", flush=True)


def _create_demo_users(store: SipUsers) -> list[tuple[str, str]]:
    created = []
    for name in DEMO_USERS:
        if name not in store:
            password = secrets.token_urlsafe(9)
            store.add(name, password)
            created.append((name, password))
    return created


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
