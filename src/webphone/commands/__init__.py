"""The `webphone` subcommands; each module offers `add_parser(subparsers)` and sets `run`."""

from __future__ import annotations

from types import ModuleType

from . import admin, api_keys, call, lint, serve, sip_server, users

#: In the order `webphone --help` lists them.
COMMANDS: tuple[ModuleType, ...] = (serve, call, sip_server, users, admin, api_keys, lint)
