"""Reading a password for a command: the flag, or asked twice on a terminal."""

from __future__ import annotations

import getpass
import sys


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
