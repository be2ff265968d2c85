"""Schema migrations with Alembic, configured in code: `upgrade(connection)` brings a database
to `HEAD` inside the caller's transaction; `Database.open()` calls it.

To write the next migration (0003) after changing the models, from a database at HEAD:

    from alembic import command
    from webphone.store import Database
    from webphone.store.migrations import HEAD, alembic_config
    with Database.open(url=...) as db, db.engine.begin() as connection:
        command.revision(alembic_config(connection), "what changed", autogenerate=True,
                         rev_id="0003")

then read and fix the generated `versions/v0003_*.py`, and set `HEAD = "0003"` below.
A model in a module of its own (`api_keys.py`) must be imported by the package, so that
`Base.metadata` knows its table.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, inspect, text

from ..errors import StoreError

if TYPE_CHECKING:
    from alembic.config import Config

__all__ = ["HEAD", "alembic_config", "current_revision", "upgrade"]

#: The newest revision in versions/; a test checks that it is Alembic's head. Knowing it
#: lets an up-to-date database open without importing Alembic (about 150 ms).
HEAD = "0002"

#: pg_advisory_xact_lock key: one process migrates a PostgreSQL database at a time.
_PG_LOCK_KEY = 0x77656270686F6E65  # "webphone"

_HERE = Path(__file__).resolve().parent


def current_revision(connection: Connection) -> str | None:
    """The revision the database is at: None when it was never migrated (empty, or legacy)."""
    if not inspect(connection).has_table("alembic_version"):
        return None
    rows = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    if len(rows) > 1:  # Alembic keeps one row per branch head; we never branch.
        raise StoreError(f"the database has several migration heads: {sorted(rows)}")
    return rows[0] if rows else None


def upgrade(connection: Connection) -> str | None:
    """Migrate to HEAD within the connection's open transaction; the revision it came from.

    The caller commits. On SQLite the transaction must hold the write lock (BEGIN IMMEDIATE),
    so that two processes opening the same file migrate one after the other.
    """
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
    before = current_revision(connection)
    if before == HEAD:
        return before
    if before is not None and before not in _known_revisions():
        raise StoreError(
            f"the database is at revision {before}, which this webphone (at {HEAD}) does not "
            "know: it was migrated by a newer webphone"
        )
    from alembic import command  # noqa: PLC0415 - only when there is something to do

    command.upgrade(alembic_config(connection), "head")
    return before


def _known_revisions() -> set[str]:
    """The revisions in versions/ (files named v<rev>_<slug>.py)."""
    return {path.name[1:].split("_", 1)[0] for path in (_HERE / "versions").glob("v*_*.py")}


def alembic_config(connection: Connection) -> Config:
    """An Alembic `Config` for these migrations that runs on `connection` (no alembic.ini)."""
    from alembic.config import Config  # noqa: PLC0415 - see HEAD

    config = Config()
    config.set_main_option("script_location", str(_HERE))
    # ConfigParser interpolates %; doubled, they reach Alembic as %(rev)s.
    config.set_main_option("file_template", "v%%(rev)s_%%(slug)s")
    config.attributes["connection"] = connection
    return config
