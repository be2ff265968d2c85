"""Where the data lives and how to reach it: the database URL, the engine, read/write sessions.

SQLite (a file in the data directory) is the default; `WEBPHONE_DATABASE_URL` names a
PostgreSQL server instead (`postgresql+psycopg://user:password@host/db`), the shared store of
several webphone servers. The calls are synchronous and short; an asyncio caller runs them in a
thread (`await asyncio.to_thread(db.cdrs.finish, cdr)`) when it must not block its loop.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import (
    URL,
    Connection,
    CursorResult,
    Engine,
    Result,
    create_engine,
    event,
    make_url,
)
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session
from sqlalchemy.pool import ConnectionPoolEntry

from .errors import ValidationError

#: The environment variable that moves the data directory.
DATA_DIR_ENV = "WEBPHONE_DATA_DIR"
#: The environment variable that names a database instead of `<data dir>/webphone.db`.
DATABASE_URL_ENV = "WEBPHONE_DATABASE_URL"
DATABASE_FILE = "webphone.db"

# Seconds a connection waits for a lock: for another writer (sqlite3's busy timeout), or to
# switch a new file to WAL.
_BUSY_TIMEOUT = _WAL_TIMEOUT = 15.0
# An execution option: this connection writes, so on SQLite it begins with BEGIN IMMEDIATE.
_WRITE = "webphone_write"


def data_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """`explicit`, else `$WEBPHONE_DATA_DIR`, else `~/.local/share/webphone`."""
    if explicit is not None:
        return Path(explicit).expanduser()
    env = os.environ.get(DATA_DIR_ENV)
    if env:
        return Path(env).expanduser()
    return Path.home() / ".local" / "share" / "webphone"


def database_url(
    directory: str | os.PathLike[str] | None = None, url: str | URL | None = None
) -> URL:
    """`url`, else `$WEBPHONE_DATABASE_URL`, else the SQLite file in `data_dir(directory)`.

    `postgresql://` and `postgres://` mean psycopg 3 (`postgresql+psycopg://`), the driver
    installed with webphone. The data directory is created when the default file is used.
    """
    source = "url"
    if url is None and os.environ.get(DATABASE_URL_ENV):
        url, source = os.environ[DATABASE_URL_ENV], DATABASE_URL_ENV
    if url is None:
        folder = data_dir(directory)
        folder.mkdir(parents=True, exist_ok=True)
        return URL.create("sqlite+pysqlite", database=str(folder / DATABASE_FILE))
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ValidationError(source, _hide_password(str(url)), "not a database URL") from None
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.drivername not in ("sqlite", "sqlite+pysqlite", "postgresql+psycopg"):
        raise ValidationError(
            source,
            parsed.render_as_string(hide_password=True),
            "expected sqlite:///PATH or postgresql+psycopg://USER:PASSWORD@HOST/DATABASE",
        )
    return parsed


def _hide_password(text: str) -> str:
    scheme, sep, rest = text.partition("://")
    userinfo, at, host = rest.rpartition("@")
    if not sep or not at or ":" not in userinfo:
        return text
    return f"{scheme}://{userinfo.split(':', 1)[0]}:***@{host}"


def make_engine(url: URL) -> Engine:
    """An engine for a URL from `database_url()`, set up for many short transactions."""
    if url.get_backend_name() == "sqlite":
        # File databases get a QueuePool (SQLAlchemy's default since 2.0): connections are
        # reused, and may move between threads, since asyncio callers use worker threads.
        engine = create_engine(url, connect_args={"timeout": _BUSY_TIMEOUT})
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
        return engine
    return create_engine(
        url,
        pool_size=5,
        max_overflow=10,
        pool_timeout=10,
        pool_pre_ping=True,  # a server restart or idle timeout must not fail the next query
        pool_recycle=1800,
        # Times come back in UTC whatever the server's TimeZone setting is.
        connect_args={"connect_timeout": 10, "options": "-c TimeZone=UTC"},
    )


def _sqlite_on_connect(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
    assert isinstance(dbapi_connection, sqlite3.Connection)
    # pysqlite's own transaction handling starts no transaction for DDL or reads; SQLAlchemy's
    # documented fix is to switch it off and emit BEGIN ourselves (`_sqlite_on_begin`).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        _enable_wal(cursor)
        # NORMAL is durable across a process crash in WAL mode; only a power loss may undo
        # the last commits.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")  # off by default in SQLite, per connection
    finally:
        cursor.close()


def _enable_wal(cursor: sqlite3.Cursor) -> None:
    """WAL: readers do not block the writer nor the writer them (the SIP server reads users
    while a call's CDR is written). The mode stays with the file once set."""
    if cursor.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
        return
    # Switching needs the file to itself, and SQLite answers "locked" at once instead of
    # waiting when another connection (a second process opening a new file) holds it.
    deadline = time.monotonic() + _WAL_TIMEOUT
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def _sqlite_on_begin(connection: Connection) -> None:
    # A deferred transaction that reads and then writes fails at once with "database is locked"
    # when another process wrote in between; IMMEDIATE takes the write lock first (and waits).
    write = connection.get_execution_options().get(_WRITE, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


class Sessions:
    """Short sessions on one engine: `read()` for queries, `write()` for one committed change."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._writer = engine.execution_options(**{_WRITE: True})

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session whose objects stay usable after it ends (detached, not expired)."""
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A session in a transaction, committed when the block ends without an exception."""
        with Session(self._writer, expire_on_commit=False) as session, session.begin():
            yield session

    @contextmanager
    def write_connection(self) -> Iterator[Connection]:
        """A Core connection in a write transaction (migrations, bulk statements)."""
        with self._writer.begin() as connection:
            yield connection


def rowcount(result: Result[Any]) -> int:
    """The rows an UPDATE or DELETE touched (its result is a `CursorResult`)."""
    assert isinstance(result, CursorResult)
    return result.rowcount
