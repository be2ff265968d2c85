"""`webphone lint`: check SIP messages and say what a server would answer."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..sip import ParseError, Request, parse


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    lint = subparsers.add_parser(
        "lint",
        help="check SIP messages from files (or stdin) and show what a server would answer",
        description="Check SIP messages: each file holds one message; without files, stdin.",
    )
    lint.add_argument("files", nargs="*", type=Path, help="files holding one SIP message each")
    lint.add_argument("--json", action="store_true", help="one JSON object per message")
    lint.set_defaults(run=_lint)


def _lint(args: argparse.Namespace) -> int:
    sources = [(str(p), p.read_bytes()) for p in args.files] or [("-", sys.stdin.buffer.read())]
    failed = 0
    for name, data in sources:
        report = lint_message(data)
        failed += not report["valid"]
        if args.json:
            print(json.dumps({"file": name, **report}))
        elif report["valid"]:
            print(f"{name}: ok: {report['summary']}")
        else:
            print(f"{name}: {report['status']}: {report['error']}")
    return 1 if failed else 0


def lint_message(data: bytes) -> dict[str, object]:
    """Parse one message; say what it is, or why a server would refuse it and with which status."""
    try:
        message = parse(data)
    except ParseError as e:
        return {"valid": False, "status": e.status, "error": str(e)}
    start = (
        f"{message.method} {message.uri}"
        if isinstance(message, Request)
        else f"{message.status} {message.reason}"
    )
    via = message.via
    return {
        "valid": True,
        "summary": f"{start} (Call-ID {message.call_id}, CSeq {message.cseq}, via {via.transport})",
        "headers": len(message.headers),
        "body_bytes": len(message.body),
    }
