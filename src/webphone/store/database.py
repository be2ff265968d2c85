"""The `Database`: one engine, migrated to the current schema when opened, and its repositories.

    db = Database.open()                  # <data dir>/webphone.db, or $WEBPHONE_DATABASE_URL
    db.cdrs.mark_cut_off()                # once, when a server starts
    db.sip_users.get_password("alice")
    db.close()

`UserStore` is the name the SIP users had before there was a database of everything; it
opens a `Database` and is its `sip_users`, so its callers keep working.
"""

from __future__ import annotations

import logging
import os
from types import TracebackType

from sqlalchemy import URL, Engine

from . import migrations
from .admins import AdminUsers
from .cdrs import Cdrs
from .components import Components
from .engine import Sessions, database_url, make_engine
from .users import SipUsers

__all__ = ["Database", "UserStore"]

logger = logging.getLogger(__name__)

PathLike = str | os.PathLike[str]


class Database(Sessions):
    """Everything webphone keeps: `sip_users`, `admin_users`, `components`, `cdrs`."""

    def __init__(self, engine: Engine, *, node: str | None = None) -> None:
        super().__init__(engine)
        self.sip_users = SipUsers(self)
        self.admin_users = AdminUsers(self)
        self.components = Components(self)
        self.cdrs = Cdrs(self, node)

    @classmethod
    def open(
        cls,
        directory: PathLike | None = None,
        *,
        url: str | URL | None = None,
        node: str | None = None,
        migrate: bool = True,
    ) -> Database:
        """The database at `url`, else `$WEBPHONE_DATABASE_URL`, else `webphone.db` in
        `data_dir(directory)`; upgraded to the current schema unless `migrate` is False.

        `node` names this server process in the CDRs it writes (default: the host name).
        """
        engine = make_engine(database_url(directory, url))
        database = cls(engine, node=node)
        try:
            if migrate:
                database.migrate()
        except BaseException:
            database.close()
            raise
        return database

    def migrate(self) -> None:
        """Bring the schema to the newest migration; safe when several processes open the
        database at once (they migrate one after the other)."""
        with self.write_connection() as connection:
            before = migrations.upgrade(connection)
        if before != migrations.HEAD:
            where = self.engine.url.render_as_string(hide_password=True)
            logger.info("database %s migrated from %s to %s", where, before, migrations.HEAD)

    def close(self) -> None:
        """Close the pooled connections; the repositories cannot be used afterwards."""
        self.engine.dispose()

    def __enter__(self) -> Database:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Database({self.engine.url.render_as_string(hide_password=True)!r})"


class UserStore(SipUsers):
    """The SIP users of a database opened for them alone: `UserStore.open(dir)`, `close()`."""

    def __init__(self, database: Database) -> None:
        super().__init__(database)
        self.database = database

    @classmethod
    def open(cls, directory: PathLike | None = None) -> UserStore:
        """The users of `Database.open(directory)` (the file made, and migrated, if needed)."""
        return cls(Database.open(directory))

    def close(self) -> None:
        self.database.close()
