"""`webphone serve`: the web app, the gateway and the embedded SIP server in one process."""

from __future__ import annotations

import argparse
import asyncio
import errno
import ipaddress
import os
import secrets
import socket
import sys

import uvicorn

from .. import config_file
from ..sipserver import ConfigError, ServerConfig, SipServer, default_services
from ..sipserver.config import Address
from ..store import Database, SipUsers, data_dir
from ..web import Settings, create_app
from ..web.admin import sip_registrations
from ..web.logs import configure_logging
from ..web.tickets import Tickets, load_secret
from .admin import FIRST_ADMIN, create_first_admin

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
    serve.add_argument(
        "--data-dir",
        help="where data lives (default: $WEBPHONE_DATA_DIR or ~/.local/share/webphone)",
    )
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
    config_file.add_arguments(serve)  # --config, logging; flags > WEBPHONE_* > file
    serve.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    try:
        config = config_file.load(args, os.environ)
        settings = config.settings()
        udp, tcp = config.address("udp"), config.address("tcp")
    except config_file.ConfigFileError as e:
        print(f"webphone serve: {e}", file=sys.stderr)
        return 2
    configure_logging(config.log_format, level=config.log_level, sip_trace=config.sip_trace)
    try:
        return asyncio.run(
            serve(
                settings,
                udp,
                tcp,
                config.media_hosts,
                database_url=config.database_url,
                ticket_secret=config.ticket_secret,
            )
        )
    except KeyboardInterrupt:
        return 0


async def serve(
    settings: Settings,
    udp: Address | None,
    tcp: Address | None,
    hosts: tuple[str, ...] | None,
    *,
    database_url: str | None = None,
    ticket_secret: str | None = None,
) -> int:
    """Run until SIGINT/SIGTERM; 2 when a port cannot be had."""
    db = Database.open(settings.data_dir, url=database_url)
    tickets = Tickets(load_secret(data_dir(settings.data_dir), ticket_secret))
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
        # With the database, the app writes a CDR row as each call starts and completes it
        # as it ends (gateway.CdrRecorder), so a crash mid-call leaves a row to cut off.
        app = create_app(
            settings,
            sip_app=sip.websocket_app() if sip else None,
            database=db,
            tickets=tickets,
            registrations=sip_registrations(sip) if sip else None,
        )
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
        _first_admin(settings, db, sock.getsockname()[1])
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


def _first_admin(settings: Settings, db: Database, port: int) -> None:
    """On loopback, with no admin yet: make one and print its password, this once."""
    if not _is_loopback(settings.host):
        return
    password = create_first_admin(db.admin_users)
    if password is None:
        return
    scheme = "https" if settings.tls_cert else "http"
    print(
        f"Admin at {scheme}://localhost:{port}/admin/, shown this once (change it with "
        f"`webphone admin passwd {FIRST_ADMIN}`):",
        flush=True,
    )
    print(f"  {FIRST_ADMIN} / {password}", flush=True)


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
