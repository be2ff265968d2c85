"""`webphone user add|list|remove|passwd`: the SIP users of the embedded server."""

from __future__ import annotations

import argparse

from ..store import UserError, UserExistsError, UserNotFoundError, UserStore, validate_name
from ._common import data_dir_parent, fail, read_password


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    user = subparsers.add_parser(
        "user",
        help="add, list, remove SIP users of the embedded server, or change a password",
        description="The SIP users of the embedded SIP server, kept in <data dir>/webphone.db.",
    )
    actions = user.add_subparsers(dest="action", required=True, metavar="ACTION")
    common = data_dir_parent()
    add = actions.add_parser("add", parents=[common], help="add a user")
    add.add_argument("name", help="the SIP user name (letters, digits, . _ ~ + -)")
    add.add_argument("--password", help="the password (prompted for when omitted on a terminal)")
    add.set_defaults(run=_add)
    listing = actions.add_parser("list", parents=[common], help="list the users")
    listing.set_defaults(run=_list)
    remove = actions.add_parser("remove", parents=[common], help="remove a user")
    remove.add_argument("name")
    remove.set_defaults(run=_remove)
    passwd = actions.add_parser("passwd", parents=[common], help="change a user's password")
    passwd.add_argument("name")
    passwd.add_argument("--password", help="the new password (prompted for on a terminal)")
    passwd.set_defaults(run=_passwd)


def _store(args: argparse.Namespace) -> UserStore:
    return UserStore.open(args.data_dir)


def _add(args: argparse.Namespace) -> int:
    try:
        validate_name(args.name)
    except UserError as e:
        return fail("user", str(e), 2)
    password = read_password("user", args.name, args.password)
    if password is None:
        return 2
    store = _store(args)
    try:
        store.add(args.name, password)
    except UserExistsError as e:
        return fail("user", str(e))
    except UserError as e:
        return fail("user", str(e), 2)
    finally:
        store.close()
    print(f"added {args.name}")
    return 0


def _list(args: argparse.Namespace) -> int:
    store = _store(args)
    try:
        users = store.list()
    finally:
        store.close()
    for user in users:
        print(f"{user.name}\t{user.created_at:%Y-%m-%d %H:%M:%S} UTC")
    return 0


def _remove(args: argparse.Namespace) -> int:
    store = _store(args)
    try:
        store.remove(args.name)
    except UserNotFoundError as e:
        return fail("user", str(e))
    finally:
        store.close()
    print(f"removed {args.name}")
    return 0


def _passwd(args: argparse.Namespace) -> int:
    store = _store(args)
    try:
        if args.name not in store:
            return fail("user", f"no user {args.name!r}")
        password = read_password("user", args.name, args.password)
        if password is None:
            return 2
        store.set_password(args.name, password)
    except UserNotFoundError as e:
        return fail("user", str(e))
    except UserError as e:
        return fail("user", str(e), 2)
    finally:
        store.close()
    print(f"changed the password of {args.name}")
    return 0
