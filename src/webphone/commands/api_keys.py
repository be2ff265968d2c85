"""`webphone api-key create|list|revoke`: the keys of the REST API (/api, docs/api.md)."""

from __future__ import annotations

import argparse
import sys

from ..store import ApiKeys, Database, StoreError
from ._common import data_dir_parent


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    keys = subparsers.add_parser(
        "api-key",
        help="create, list or revoke keys of the REST API",
        description="Keys of the REST API at /api. A key is shown once, when made; the "
        "database keeps only its SHA-256.",
    )
    actions = keys.add_subparsers(dest="action", required=True, metavar="ACTION")
    common = data_dir_parent()
    create = actions.add_parser("create", parents=[common], help="make a key and print it")
    create.add_argument("name", help="who or what uses it (grafana, billing-export, ...)")
    create.set_defaults(run=_create)
    listing = actions.add_parser("list", parents=[common], help="list the keys (not the keys)")
    listing.set_defaults(run=_list)
    revoke = actions.add_parser("revoke", parents=[common], help="revoke a key at once")
    revoke.add_argument("name", help="the key's name, or its first characters (wp_...)")
    revoke.set_defaults(run=_revoke)


def _fail(message: str, status: int = 1) -> int:
    print(f"webphone api-key: {message}", file=sys.stderr)
    return status


def _create(args: argparse.Namespace) -> int:
    with Database.open(args.data_dir) as db:
        try:
            key, secret = ApiKeys(db).create(args.name)
        except StoreError as e:
            return _fail(str(e))
    print(secret)
    print(
        f"API key {key.name!r} made; it is shown this once. Send it as "
        "`Authorization: Bearer <key>`.",
        file=sys.stderr,
    )
    return 0


def _list(args: argparse.Namespace) -> int:
    with Database.open(args.data_dir) as db:
        keys = ApiKeys(db).list()
    for key in keys:
        used = f"{key.last_used_at:%Y-%m-%d %H:%M} UTC" if key.last_used_at else "never"
        state = f"revoked {key.revoked_at:%Y-%m-%d %H:%M} UTC" if key.revoked_at else "active"
        made = f"{key.created_at:%Y-%m-%d %H:%M} UTC"
        print(f"{key.name}\t{key.prefix}...\tmade {made}\tlast used {used}\t{state}")
    return 0


def _revoke(args: argparse.Namespace) -> int:
    with Database.open(args.data_dir) as db:
        try:
            ApiKeys(db).revoke(args.name)
        except StoreError as e:
            return _fail(str(e))
    print(f"revoked {args.name}")
    return 0
