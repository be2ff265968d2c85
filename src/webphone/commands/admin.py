"""`webphone admin create|passwd|list`: who may sign in to the admin pages at /admin."""

from __future__ import annotations

import argparse
import secrets
from datetime import UTC, datetime

from ..store import AdminUsers, Database, ExistsError, NotFoundError, ValidationError
from ._common import data_dir_parent, fail, read_password

__all__ = ["FIRST_ADMIN", "add_parser", "create_first_admin"]

#: The name of the admin `webphone serve` makes at first start on loopback.
FIRST_ADMIN = "admin"


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    admin = subparsers.add_parser(
        "admin",
        help="create admin users, change their passwords, list them",
        description="The people who may sign in to the admin pages (/admin), kept in the "
        "database (<data dir>/webphone.db or $WEBPHONE_DATABASE_URL).",
    )
    actions = admin.add_subparsers(dest="action", required=True, metavar="ACTION")
    common = data_dir_parent()
    create = actions.add_parser("create", parents=[common], help="create an admin")
    create.add_argument("name", help="the sign-in name (letters, digits, . _ @ + -)")
    create.add_argument("--password", help="at least 8 characters (prompted for on a terminal)")
    create.set_defaults(run=_create)
    passwd = actions.add_parser(
        "passwd", parents=[common], help="set an admin's password (also lifts a lock-out)"
    )
    passwd.add_argument("name")
    passwd.add_argument("--password", help="the new password (prompted for on a terminal)")
    passwd.set_defaults(run=_passwd)
    listing = actions.add_parser("list", parents=[common], help="list the admins")
    listing.set_defaults(run=_list)


def create_first_admin(admins: AdminUsers) -> str | None:
    """When there is no admin yet, make `admin` with a random password and return the
    password (to print once); None when an admin exists."""
    if admins.list():
        return None
    password = secrets.token_urlsafe(12)
    try:
        admins.add(FIRST_ADMIN, password)
    except ExistsError:  # another process made it first
        return None
    return password


def _create(args: argparse.Namespace) -> int:
    password = read_password("admin", args.name, args.password)
    if password is None:
        return 2
    with Database.open(args.data_dir) as db:
        try:
            db.admin_users.add(args.name, password)
        except ValidationError as e:
            return fail("admin", str(e), 2)
        except ExistsError as e:
            return fail("admin", str(e))
    print(f"created admin {args.name}")
    return 0


def _passwd(args: argparse.Namespace) -> int:
    with Database.open(args.data_dir) as db:
        if db.admin_users.get(args.name) is None:
            return fail("admin", f"no admin user {args.name!r}")
        password = read_password("admin", args.name, args.password)
        if password is None:
            return 2
        try:
            db.admin_users.set_password(args.name, password)
        except ValidationError as e:
            return fail("admin", str(e), 2)
        except NotFoundError as e:
            return fail("admin", str(e))
    print(f"changed the password of {args.name}")
    return 0


def _list(args: argparse.Namespace) -> int:
    with Database.open(args.data_dir) as db:
        admins = db.admin_users.list()
    now = datetime.now(UTC)
    for admin in admins:
        until = admin.locked_until
        locked = f" (locked until {until:%H:%M} UTC)" if until is not None and until > now else ""
        print(f"{admin.name}\t{admin.created_at:%Y-%m-%d %H:%M:%S} UTC{locked}")
    return 0
