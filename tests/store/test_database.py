"""The database: URLs, SQLite settings, and migrations (from empty, adopting a legacy file,
refusing a table it does not know, several processes at once)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import DateTime, String, create_engine, inspect, text
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from webphone.store import DATABASE_URL_ENV, Database, UserStore, ValidationError, database_url
from webphone.store.migrations import HEAD, alembic_config, current_revision
from webphone.store.models import Base

from .postgres import PostgresMissingError, PostgresServer, pg_bin_dir

TABLES = {"alembic_version", "sip_users", "admin_users", "components", "cdrs", "api_keys"}


class LegacyBase(DeclarativeBase):
    pass


class LegacySipUser(LegacyBase):
    """The model of webphone.store.users before migrations, as it made `webphone.db`."""

    __tablename__ = "sip_users"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    password: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(DateTime())  # naive UTC


def make_legacy(url: str, users: dict[str, str]) -> datetime:
    """A database as the old `UserStore` left it: only sip_users, with `users`."""
    created = datetime(2025, 1, 2, 3, 4, 5, 123456)
    engine = create_engine(url)
    LegacyBase.metadata.create_all(engine)
    with Session(engine) as session, session.begin():
        session.add_all(
            LegacySipUser(name=n, password=p, created_at=created) for n, p in users.items()
        )
    engine.dispose()
    return created.replace(tzinfo=UTC)


def test_default_url_is_the_file_in_the_data_dir(tmp_path: Path) -> None:
    url = database_url(tmp_path / "new")
    assert url.drivername == "sqlite+pysqlite"
    assert url.database == str(tmp_path / "new" / "webphone.db")
    assert (tmp_path / "new").is_dir()


def test_url_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(DATABASE_URL_ENV, "postgresql://u:secret@db.example.com/webphone")
    url = database_url(tmp_path)
    assert url.drivername == "postgresql+psycopg"  # psycopg 3, the driver installed
    assert url.host == "db.example.com" and url.password == "secret"
    assert database_url(tmp_path, "sqlite:///x.db").database == "x.db"  # explicit wins


@pytest.mark.parametrize(
    "url", ["mysql://u:secret@h/db", "postgresql+asyncpg://u:secret@h/db", "not a url"]
)
def test_bad_urls_are_refused_without_showing_the_password(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(DATABASE_URL_ENV, url)
    with pytest.raises(ValidationError) as caught:
        database_url()
    assert caught.value.field == DATABASE_URL_ENV
    assert "secret" not in str(caught.value)


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    with Database.open(tmp_path) as db, db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    assert "password" not in repr(db)


def test_upgrade_from_empty_matches_the_models(empty_database_url: str) -> None:
    with Database.open(url=empty_database_url) as db, db.engine.connect() as connection:
        assert set(inspect(connection).get_table_names()) == TABLES
        assert current_revision(connection) == HEAD
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        assert differences == []
        indexes = {i["name"] for i in inspect(connection).get_indexes("cdrs")}
        for column in ("started_at", "component_id", "direction", "sip_status"):
            assert f"ix_cdrs_{column}" in indexes


def test_head_is_the_newest_migration(tmp_path: Path) -> None:
    with Database.open(tmp_path) as db, db.engine.connect() as connection:
        assert ScriptDirectory.from_config(alembic_config(connection)).get_current_head() == HEAD


def test_downgrade_keeps_the_users_and_upgrade_comes_back(empty_database_url: str) -> None:
    with Database.open(url=empty_database_url) as db:
        db.sip_users.add("alice", "pw")
        with db.write_connection() as connection:
            command.downgrade(alembic_config(connection), "base")
        with db.engine.connect() as connection:
            assert set(inspect(connection).get_table_names()) == {"alembic_version", "sip_users"}
        db.migrate()
        assert db.sip_users.get_password("alice") == "pw"
        assert db.components.list() == []


def test_a_legacy_database_is_adopted_with_its_users(empty_database_url: str) -> None:
    created = make_legacy(empty_database_url, {"alice": "one", "bob": "two"})
    with Database.open(url=empty_database_url) as db:
        assert [(u.name, u.created_at) for u in db.sip_users.list()] == [
            ("alice", created),
            ("bob", created),
        ]
        assert db.sip_users.get_password("bob") == "two"
        db.sip_users.add("carol", "three")
        db.components.create("sales")  # the new tables are there
        with db.engine.connect() as connection:
            assert current_revision(connection) == HEAD
    with Database.open(url=empty_database_url) as again:  # and opening again changes nothing
        assert [u.name for u in again.sip_users.list()] == ["alice", "bob", "carol"]


def test_the_legacy_file_through_user_store(tmp_path: Path) -> None:
    make_legacy(f"sqlite:///{tmp_path / 'webphone.db'}", {"alice": "one"})
    store = UserStore.open(tmp_path)
    try:
        assert store.get_password("alice") == "one" and "alice" in store
    finally:
        store.close()


def test_an_unknown_sip_users_table_is_refused_and_left_alone(empty_database_url: str) -> None:
    engine = create_engine(empty_database_url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE sip_users (id INTEGER PRIMARY KEY, login TEXT)"))
    with pytest.raises(RuntimeError, match="cannot adopt the existing sip_users table"):
        Database.open(url=empty_database_url)
    with engine.connect() as connection:  # the migration was rolled back as a whole
        assert set(inspect(connection).get_table_names()) == {"sip_users"}
    engine.dispose()


def test_several_processes_opening_at_once_migrate_once(empty_database_url: str) -> None:
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def open_one() -> None:
        try:
            barrier.wait()
            Database.open(url=empty_database_url).close()
        except BaseException as e:  # reported by the main thread
            errors.append(e)

    threads = [threading.Thread(target=open_one) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    with Database.open(url=empty_database_url) as db, db.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1


def test_the_test_server_listens_on_loopback_only(postgres: PostgresServer) -> None:
    with postgres.connect() as connection:
        row = connection.execute("SHOW listen_addresses").fetchone()
    assert row is not None and row[0] == "127.0.0.1"


def test_missing_postgresql_names_the_debian_package(tmp_path: Path) -> None:
    with pytest.raises(PostgresMissingError, match="package `postgresql`"):
        pg_bin_dir(tmp_path)
