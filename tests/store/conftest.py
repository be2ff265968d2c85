"""Store fixtures: `db` runs each test on SQLite (a temporary file) and on PostgreSQL (the
session's own server, started on first use).

`database_url` is a database at the newest schema and without rows: on SQLite a copy of a file
migrated once per session; on PostgreSQL one database migrated once per session and emptied
before each test (TRUNCATE takes milliseconds; CREATE DATABASE about 0.3 s here).
`empty_database_url` is a new, empty database, for the migrations' tests.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from webphone.store import DATA_DIR_ENV, DATABASE_URL_ENV, Database
from webphone.store.models import Base

from .postgres import PostgresMissingError, PostgresServer, start_postgres

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(autouse=True)
def _no_database_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # A developer's own WEBPHONE_DATABASE_URL must not receive the tests' data.
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    monkeypatch.delenv(DATA_DIR_ENV, raising=False)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """The session's PostgreSQL server; a test that needs it fails (not skips) without it."""
    try:
        server = start_postgres()
    except PostgresMissingError as e:
        pytest.fail(str(e), pytrace=False)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres_migrated(postgres: PostgresServer) -> str:
    """The name of a PostgreSQL database migrated to the newest schema, shared by the tests."""
    name = postgres.create_database()
    Database.open(url=postgres.url(name)).close()
    return name


def _empty_tables(server: PostgresServer, database: str) -> None:
    tables = ", ".join(table.name for table in Base.metadata.sorted_tables)
    with server.connect(database) as connection:
        # A test that left a transaction open would block TRUNCATE: fail instead of hanging.
        connection.execute("SET lock_timeout = '5s'")
        connection.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to the newest schema, to be copied (closed: no WAL left)."""
    folder = tmp_path_factory.mktemp("template")
    Database.open(folder).close()
    return folder / "webphone.db"


def _url(request: pytest.FixtureRequest, tmp_path: Path, migrated: bool) -> Iterator[str]:
    if request.param == "sqlite":
        path = tmp_path / "webphone.db"
        if migrated:
            shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    server: PostgresServer = request.getfixturevalue("postgres")
    if migrated:
        shared: str = request.getfixturevalue("postgres_migrated")
        _empty_tables(server, shared)
        yield server.url(shared)
        return
    name = server.create_database()
    try:
        yield server.url(name)
    finally:
        server.drop_database(name)


@pytest.fixture(params=BACKENDS)
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database, on each backend."""
    yield from _url(request, tmp_path, migrated=False)


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a database at the newest schema, on each backend."""
    yield from _url(request, tmp_path, migrated=True)


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    """A migrated database on each backend, writing CDRs as node `test-node`."""
    database = Database.open(url=database_url, node="test-node")
    try:
        yield database
    finally:
        database.close()
