"""What several commands share: the --data-dir option, errors on stderr, password prompts."""

from __future__ import annotations

import argparse
import getpass
import sys

DATA_DIR_HELP = (
    "where webphone.db lives (default: $WEBPHONE_DATA_DIR or ~/.local/share/webphone; "
    "$WEBPHONE_DATABASE_URL names a PostgreSQL database instead)"
)


def add_data_dir(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Give `parser` the --data-dir option; returns the parser."""
    parser.add_argument("--data-dir", metavar="DIR", help=DATA_DIR_HELP)
    return parser


def data_dir_parent() -> argparse.ArgumentParser:
    """A parent parser with --data-dir, for the actions of a command (`parents=[...]`)."""
    return add_data_dir(argparse.ArgumentParser(add_help=False))


def fail(command: str, message: str, status: int = 1) -> int:
    """Say what went wrong on stderr, prefixed with the command; give the exit status."""
    print(f"webphone {command}: {message}", file=sys.stderr)
    return status


def read_password(command: str, name: str, given: str | None) -> str | None:
    """`given` (--password), or asked twice on a terminal; None (after saying why) otherwise."""
    if given is not None:
        return given
    if not sys.stdin.isatty():
        fail(command, "--password is required when stdin is not a terminal")
        return None
    first = getpass.getpass(f"Password for {name}: ")
    if getpass.getpass("Again: ") != first:
        fail(command, "the passwords differ")
        return None
    return first
