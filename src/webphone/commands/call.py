"""`webphone call` and `webphone answer`: check a SIP-over-WebSocket account from a terminal.

Exit status: 0 when the call did what was asked (answered, audio received), 1 when the call
failed, 2 for a bad command line or configuration, 3 when registration failed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
import time
from collections.abc import Callable
from typing import Any

from ..phone import (
    AiortcMedia,
    Answered,
    ConfigError,
    ConnectionChanged,
    DtmfReceived,
    Ended,
    Error,
    HoldChanged,
    LevelMeter,
    Media,
    Phone,
    PhoneConfig,
    PhoneError,
    PhoneEvent,
    Registered,
    RingingIn,
    RingingOut,
    SilenceSource,
    ToneSource,
    Unregistered,
    WavRecorder,
)
from ..phone.audio import Sink
from ..phone.config import parse_servers
from ..phone.media_hosts import MEDIA_HOSTS_ENV, parse_hosts

OK, CALL_FAILED, USAGE, REGISTER_FAILED = 0, 1, 2, 3


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    call = subparsers.add_parser(
        "call",
        help="register, call TARGET, talk, hang up, and report",
        description="Register to a SIP-over-WebSocket server, call TARGET, send a tone, "
        "report what came back, and hang up. " + (__doc__ or "").split("\n\n", 1)[1],
    )
    call.add_argument("target", help="a user or number (bob, +4930123), user@host or SIP URI")
    _connection_flags(call)
    call.add_argument("--seconds", type=float, default=5.0, help="talk this long (default 5)")
    call.add_argument("--ring-timeout", type=float, default=30.0, help="give up ringing after")
    call.add_argument("--dtmf", default="", help="digits to send once answered, e.g. 123#")
    call.add_argument("--hold-after", type=float, help="hold after S seconds, unhold 1 s later")
    call.set_defaults(run=lambda args: asyncio.run(_run(args, _call)))

    answer = subparsers.add_parser(
        "answer",
        help="register and answer incoming calls",
        description="Register, answer incoming calls, talk, and report each call.",
    )
    _connection_flags(answer)
    answer.add_argument("--seconds", type=float, default=5.0, help="talk this long per call")
    answer.add_argument("--count", type=int, default=1, help="answer this many calls, then exit")
    answer.add_argument("--wait", type=float, default=0, help="give up after S seconds (0: never)")
    answer.set_defaults(run=lambda args: asyncio.run(_run(args, _answer)))


def _connection_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--server",
        required=True,
        help="wss://host[:port][/path] (comma-separated: tried in order)",
    )
    parser.add_argument("--user", required=True, help="SIP user name")
    parser.add_argument("--password", help="digest password (default: $WEBPHONE_PASSWORD)")
    parser.add_argument("--realm", help="SIP domain (default: the server's host)")
    parser.add_argument("--auth-user", help="digest user name, when it differs from --user")
    parser.add_argument("--display-name", help="shown to the other party")
    parser.add_argument("--cli", help="calling line identity (From user) on outgoing calls")
    parser.add_argument("--ca-file", help="PEM file of a private CA trusted for wss://")
    parser.add_argument("--tone", type=float, default=440.0, help="send a tone (Hz; 0: silence)")
    parser.add_argument("--record", help="record what you hear into this WAV file")
    parser.add_argument("--dtmf-mode", choices=("auto", "rfc4733", "info"), default="auto")
    parser.add_argument(
        "--media-host",
        help=f"address(es) offered for media, comma-separated (default: ${MEDIA_HOSTS_ENV}, "
        "else every interface)",
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per event")


class Report:
    """Prints events for people, or one JSON line each with --json."""

    def __init__(self, as_json: bool) -> None:
        self.as_json = as_json
        self.started = time.monotonic()

    def event(self, event: PhoneEvent) -> None:
        if self.as_json:
            self.line(event.to_dict())
        else:
            self.say(describe(event))

    def line(self, obj: dict[str, Any]) -> None:
        print(json.dumps(obj), flush=True)

    def say(self, text: str | None) -> None:
        if text and not self.as_json:
            print(f"{time.monotonic() - self.started:6.2f}s  {text}", flush=True)


def describe(event: PhoneEvent) -> str:
    """One line (two for the end of a call) that says what happened, for people."""
    match event:
        case Registered():
            return f"registered at {event.server} for {event.expires} s"
        case Unregistered():
            return f"unregistered ({event.reason})"
        case ConnectionChanged():
            why = f" ({event.reason})" if event.reason else ""
            return f"{event.state} {event.server or ''}{why}"
        case RingingOut():
            return f"ringing ({event.status}{', early media' if event.early_media else ''})"
        case RingingIn():
            name = f'"{event.from_name}" ' if event.from_name else ""
            return f"incoming call from {name}<{event.from_uri}>"
        case Answered():
            return f"answered ({event.direction}, {event.remote_uri})"
        case HoldChanged():
            held = [who for who, on in (("by us", event.local), ("by them", event.remote)) if on]
            return f"on hold {' and '.join(held)}" if held else "off hold"
        case DtmfReceived():
            return f"received DTMF {event.digit} ({event.method})"
        case Error():
            status = f" [{event.sip_status}]" if event.sip_status else ""
            return f"error {event.code}{status}: {event.message}"
        case Ended():
            return _describe_end(event.cdr)
    return event.name


def _describe_end(cdr: dict[str, Any]) -> str:
    media = cdr["media"]
    talk = f", talked {cdr['talk_seconds']:.1f} s" if cdr["answered_at"] else ""
    line = f"ended by {cdr['ended_by']}: {cdr['sip_status']} {cdr['reason']}{talk}"
    if not media.get("codec"):
        return line + "\n         media: none"
    return line + (
        f"\n         media: {media['codec']}, sent {media['packets_sent']} packets, received "
        f"{media['packets_received']} ({media['bytes_received']} bytes), lost "
        f"{media['packets_lost']}, jitter {media['jitter_ms']} ms, rtt {media['rtt_ms']} ms, "
        f"MOS {media['mos']}, path {media['local_address']} -> {media['remote_address']}"
    )


async def _run(args: argparse.Namespace, body: Callable[..., Any]) -> int:
    report = Report(args.json)
    password = args.password or os.environ.get("WEBPHONE_PASSWORD", "")
    try:
        hosts = parse_hosts(args.media_host, source="--media-host") if args.media_host else None
        config = PhoneConfig(
            ws_servers=parse_servers(args.server),
            username=args.user,
            password=password,
            display_name=args.display_name,
            cli=args.cli,
            realm=args.realm,
            auth_username=args.auth_user,
            ca_file=args.ca_file,
            dtmf_mode=args.dtmf_mode,
        ).validated()
    except (ConfigError, ValueError) as e:
        print(f"webphone: {e}", file=sys.stderr)
        return USAGE
    meters: list[LevelMeter] = []

    def media(video: bool) -> Media:
        source = ToneSource(args.tone) if args.tone > 0 else SilenceSource()
        sink: Sink
        if args.record:
            sink = WavRecorder(args.record)
            report.say(f"recording into {args.record}")
        else:
            sink = LevelMeter()
            meters.append(sink)
        return AiortcMedia(source, sink, hosts=hosts)

    phone = Phone(config, media_factory=media, on_event=report.event)
    try:
        await phone.register()
    except PhoneError as e:
        report.say(f"registration failed: {e}")
        await phone.close()
        return REGISTER_FAILED
    try:
        status: int = await body(args, phone, report, meters)
        return status
    finally:
        await phone.close()


async def _talk(args: argparse.Namespace, phone: Phone, report: Report) -> None:
    """Stay in the answered call for --seconds, doing what was asked meanwhile."""
    call = phone.call
    if call is None:
        return
    start = time.monotonic()
    for digit in getattr(args, "dtmf", ""):
        await phone.dialpad_press(digit)
        report.say(f"sent DTMF {digit}")
        await asyncio.sleep(0.15)
    hold_after = getattr(args, "hold_after", None)
    if hold_after is not None:
        await _sleep_unless_ended(call.ended, hold_after - (time.monotonic() - start))
        if not call.ended.is_set():
            await phone.hold()
            await _sleep_unless_ended(call.ended, 1.0)
            if not call.ended.is_set():
                await phone.unhold()
    await _sleep_unless_ended(call.ended, args.seconds - (time.monotonic() - start))
    if not call.ended.is_set():
        await phone.hangup()


async def _sleep_unless_ended(ended: asyncio.Event, seconds: float) -> None:
    if seconds > 0:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(ended.wait(), seconds)


def _verdict(cdr: dict[str, Any], meters: list[LevelMeter], report: Report) -> int:
    media = cdr["media"]
    if cdr["answered_at"] is None:
        report.say(f"the call was not answered: {cdr['sip_status']} {cdr['reason']}")
        return CALL_FAILED
    if not media.get("packets_received"):
        report.say("no audio arrived (check ICE: --media-host, firewalls)")
        return CALL_FAILED
    if meters and meters[-1].dominant_hz is not None and not report.as_json:
        report.say(f"heard {meters[-1].dominant_hz:.0f} Hz at {meters[-1].level_dbfs:.1f} dBFS")
    return OK


async def _call(
    args: argparse.Namespace, phone: Phone, report: Report, meters: list[LevelMeter]
) -> int:
    try:
        call = await phone.make_call(args.target)
    except (PhoneError, ConfigError) as e:
        report.say(f"cannot call: {e}")
        return CALL_FAILED
    report.say(f"calling {call.cdr.to_uri}")
    answered = asyncio.ensure_future(phone.wait_for(Answered, args.ring_timeout))
    ended = asyncio.ensure_future(call.ended.wait())
    await asyncio.wait((answered, ended), return_when=asyncio.FIRST_COMPLETED)
    ended.cancel()
    if not answered.done():
        answered.cancel()  # the call ended first: refused, or cancelled
    elif answered.exception() is not None:  # the ring timeout
        report.say(f"no answer after {args.ring_timeout:.0f} s")
        await phone.hangup()
    if not call.ended.is_set():
        await _talk(args, phone, report)
    cdr = (await phone.wait_for(Ended, 15)).cdr
    return _verdict(cdr, meters, report)


async def _answer(
    args: argparse.Namespace, phone: Phone, report: Report, meters: list[LevelMeter]
) -> int:
    status = OK
    for _ in range(max(1, args.count)):
        report.say("waiting for a call")
        try:
            await phone.wait_for(RingingIn, args.wait or 10**9)
        except TimeoutError:
            report.say(f"no call within {args.wait:.0f} s")
            return CALL_FAILED
        await phone.answer()
        await _talk(args, phone, report)
        cdr = (await phone.wait_for(Ended, 15)).cdr
        status = max(status, _verdict(cdr, meters, report))
    return status
