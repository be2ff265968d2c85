"""The `webphone` subcommands; each module offers `add_parser(subparsers)` and sets `run`."""

from __future__ import annotations

from types import ModuleType

from . import call, lint, sip_server, users

#: In the order `webphone --help` lists them.
COMMANDS: tuple[ModuleType, ...] = (call, lint, users, sip_server)
