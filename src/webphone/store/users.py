"""SIP users of the embedded server: name, password, created at (`Database.sip_users`).

`SipUsers` is the embedded SIP server's user directory (`get_password`, the shape of
`webphone.sipserver.UserDirectory`) and what `webphone user ...` edits.

Passwords are stored as given, not as HA1 digests: the digest realm is whatever domain the server
is addressed by (RFC 3261 §22.1 puts the realm into HA1), so the digest cannot be computed ahead
of time. Protect the database like a password file.
"""

from __future__ import annotations

import re

from sqlalchemy import delete, select, update

from .engine import Sessions, rowcount
from .errors import ExistsError, NotFoundError, StoreError
from .models import MAX_PASSWORD_LENGTH, SipUser, utcnow

__all__ = [
    "MAX_PASSWORD_LENGTH",
    "SipUser",
    "SipUsers",
    "UserError",
    "UserExistsError",
    "UserNotFoundError",
    "validate_name",
]

# RFC 3261 §25.1 allows more in a user part (escapes, `;`, `?`, `/` ...); this subset needs no
# escaping in a URI or a digest username and cannot be mistaken for a parameter or a header.
_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._~+-]{0,63}")


class UserError(StoreError):
    """A user name or password that cannot be stored, or a user that is (not) there."""


class UserExistsError(UserError, ExistsError):
    pass


class UserNotFoundError(UserError, NotFoundError):
    pass


def validate_name(name: str) -> str:
    """The name when it is a SIP user name we store: letters, digits, `. _ ~ + -`, 1 to 64."""
    if not isinstance(name, str) or _NAME_RE.fullmatch(name) is None:
        raise UserError(
            f"bad user name {name!r}: use 1 to 64 letters, digits and . _ ~ + -, "
            "starting with a letter or digit"
        )
    return name


def _validate_password(password: str) -> str:
    if not isinstance(password, str) or not password:
        raise UserError("the password must not be empty")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise UserError(f"the password is longer than {MAX_PASSWORD_LENGTH} characters")
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in password):
        raise UserError("the password must not contain control characters")
    return password


class SipUsers:
    """The SIP users of one database."""

    def __init__(self, sessions: Sessions) -> None:
        self._db = sessions

    def add(self, name: str, password: str) -> None:
        validate_name(name)
        _validate_password(password)
        with self._db.write() as session:
            if session.get(SipUser, name) is not None:
                raise UserExistsError(f"user {name!r} already exists")
            session.add(SipUser(name=name, password=password, created_at=utcnow()))

    def list(self) -> list[SipUser]:
        """Every user, by name; passwords included (the objects are detached)."""
        with self._db.read() as session:
            return list(session.scalars(select(SipUser).order_by(SipUser.name)))

    def remove(self, name: str) -> None:
        with self._db.write() as session:
            result = session.execute(delete(SipUser).where(SipUser.name == name))
            if rowcount(result) == 0:
                raise UserNotFoundError(f"no user {name!r}")

    def set_password(self, name: str, password: str) -> None:
        _validate_password(password)
        with self._db.write() as session:
            result = session.execute(
                update(SipUser).where(SipUser.name == name).values(password=password)
            )
            if rowcount(result) == 0:
                raise UserNotFoundError(f"no user {name!r}")

    def get_password(self, name: str) -> str | None:
        """The password of `name`, or None: what the SIP server's digest check asks for."""
        # A Core connection, not a Session: this runs for every authenticated SIP request.
        with self._db.engine.connect() as connection:
            return connection.execute(
                select(SipUser.password).where(SipUser.name == name)
            ).scalar_one_or_none()

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get_password(name) is not None
