"""SIP users in `<data dir>/webphone.db` (SQLAlchemy 2, SQLite): name, password, created at.

`UserStore` is the embedded SIP server's user directory (`get_password`, the shape of
`webphone.sipserver.UserDirectory`) and what `webphone user ...` edits.

Passwords are stored as given, not as HA1 digests: the digest realm is whatever domain the server
is addressed by (RFC 3261 §22.1 puts the realm into HA1), so the digest cannot be computed ahead
of time. Protect the data directory like a password file.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    CursorResult,
    DateTime,
    Engine,
    Result,
    String,
    create_engine,
    delete,
    select,
    update,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

#: The environment variable that moves the data directory.
DATA_DIR_ENV = "WEBPHONE_DATA_DIR"
DATABASE_FILE = "webphone.db"
MAX_PASSWORD_LENGTH = 256

# RFC 3261 §25.1 allows more in a user part (escapes, `;`, `?`, `/` ...); this subset needs no
# escaping in a URI or a digest username and cannot be mistaken for a parameter or a header.
_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._~+-]{0,63}")


class UserError(ValueError):
    """A user name or password that cannot be stored, or a user that is (not) there."""


class UserExistsError(UserError):
    pass


class UserNotFoundError(UserError):
    pass


class Base(DeclarativeBase):
    pass


class SipUser(Base):
    """A SIP account of the embedded server."""

    __tablename__ = "sip_users"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    password: Mapped[str] = mapped_column(String(MAX_PASSWORD_LENGTH))
    created_at: Mapped[datetime] = mapped_column(DateTime())  # UTC

    def __repr__(self) -> str:
        return f"SipUser(name={self.name!r}, created_at={self.created_at!r})"  # no password


def data_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """`explicit`, else `$WEBPHONE_DATA_DIR`, else `~/.local/share/webphone`."""
    if explicit is not None:
        return Path(explicit).expanduser()
    env = os.environ.get(DATA_DIR_ENV)
    if env:
        return Path(env).expanduser()
    return Path.home() / ".local" / "share" / "webphone"


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


class UserStore:
    """The SIP users of one database; `open()` makes the file and table when missing."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        Base.metadata.create_all(engine)

    @classmethod
    def open(cls, directory: str | os.PathLike[str] | None = None) -> UserStore:
        """The store in `data_dir(directory)`, created with its parents if needed."""
        folder = data_dir(directory)
        folder.mkdir(parents=True, exist_ok=True)
        return cls(create_engine(f"sqlite:///{folder / DATABASE_FILE}"))

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def _session(self) -> Iterator[Session]:
        with Session(self.engine) as session, session.begin():
            yield session

    def add(self, name: str, password: str) -> None:
        validate_name(name)
        _validate_password(password)
        with self._session() as session:
            if session.get(SipUser, name) is not None:
                raise UserExistsError(f"user {name!r} already exists")
            created = datetime.now(UTC).replace(tzinfo=None)
            session.add(SipUser(name=name, password=password, created_at=created))

    def list(self) -> list[SipUser]:
        """Every user, by name; passwords included (the objects are detached)."""
        with Session(self.engine, expire_on_commit=False) as session:
            return list(session.scalars(select(SipUser).order_by(SipUser.name)))

    def remove(self, name: str) -> None:
        with self._session() as session:
            result = session.execute(delete(SipUser).where(SipUser.name == name))
            if _rowcount(result) == 0:
                raise UserNotFoundError(f"no user {name!r}")

    def set_password(self, name: str, password: str) -> None:
        _validate_password(password)
        with self._session() as session:
            result = session.execute(
                update(SipUser).where(SipUser.name == name).values(password=password)
            )
            if _rowcount(result) == 0:
                raise UserNotFoundError(f"no user {name!r}")

    def get_password(self, name: str) -> str | None:
        """The password of `name`, or None: what the SIP server's digest check asks for."""
        with self.engine.connect() as connection:
            return connection.execute(
                select(SipUser.password).where(SipUser.name == name)
            ).scalar_one_or_none()

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get_password(name) is not None


def _rowcount(result: Result[Any]) -> int:
    """The rows an UPDATE or DELETE touched (its result is a `CursorResult`)."""
    assert isinstance(result, CursorResult)
    return result.rowcount
