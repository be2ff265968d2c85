"""The `webphone` command line: one module per command in `webphone.commands`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from . import __version__
from .commands import COMMANDS
from .store import StoreError


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="webphone", description="A SIP-over-WebRTC softphone, run by a Python server."
    )
    parser.add_argument("--version", action="version", version=f"webphone {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(subparsers)
    args = parser.parse_args(argv)
    try:
        return int(args.run(args))
    except StoreError as e:  # the database cannot be opened or migrated
        print(f"webphone: database: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
