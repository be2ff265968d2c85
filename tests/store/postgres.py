"""A throwaway PostgreSQL server for the store's tests: its own cluster in a temporary folder.

Debian's binaries (package `postgresql`, /usr/lib/postgresql/N/bin) run the cluster as the
`postgres` user when the tests run as root (PostgreSQL refuses to run as root), listening on
127.0.0.1 and a Unix socket in the folder only. Durability is switched off (fsync, full-page
writes): the data lives for one test session. `stop()` ends the server by its PID and removes
the folder.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

PG_ROOT = Path("/usr/lib/postgresql")
START_TIMEOUT = 15.0


class PostgresMissingError(RuntimeError):
    """No PostgreSQL server binaries on this machine."""


def pg_bin_dir(root: Path = PG_ROOT) -> Path:
    """The newest /usr/lib/postgresql/N/bin that has initdb and postgres."""
    found = [
        d / "bin"
        for d in root.glob("*")
        if d.name.isdigit()
        and (d / "bin" / "initdb").is_file()
        and (d / "bin" / "postgres").is_file()
    ]
    if not found:
        raise PostgresMissingError(
            f"no PostgreSQL server in {root}/N/bin (initdb, postgres): install the Debian "
            "package `postgresql` (scripts/install --test)"
        )
    return max(found, key=lambda d: int(d.parent.name))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _run_as() -> dict[str, Any]:
    """Popen arguments that drop root to the `postgres` user (nothing when not root)."""
    if os.geteuid() != 0:
        return {}
    try:
        account = pwd.getpwnam("postgres")
    except KeyError:
        raise PostgresMissingError(
            "no `postgres` user: install the Debian package `postgresql`"
        ) from None
    return {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}


@dataclass
class PostgresServer:
    """A running server; `url(name)` reaches database `name` as the superuser `postgres`."""

    folder: Path
    port: int
    process: subprocess.Popen[bytes]
    databases: list[str] = field(default_factory=list)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def connect(self, database: str = "postgres") -> psycopg.Connection[Any]:
        """A psycopg connection in autocommit mode, as the superuser."""
        conninfo = f"host=127.0.0.1 port={self.port} user=postgres dbname={database}"
        return psycopg.connect(conninfo, autocommit=True, connect_timeout=5)

    def _admin(self) -> psycopg.Connection[Any]:
        return self.connect()

    def create_database(self, template: str | None = None) -> str:
        """A new database, empty or a copy of `template` (which nobody may be connected to);
        its name."""
        name = f"t_{uuid.uuid4().hex[:12]}"
        copy = f' TEMPLATE "{template}"' if template else ""
        with self._admin() as admin:
            admin.execute(f'CREATE DATABASE "{name}"{copy}')  # generated names, safe to inline
        self.databases.append(name)
        return name

    def drop_database(self, name: str) -> None:
        with self._admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.databases.remove(name)

    def log(self) -> str:
        path = self.folder / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        """Fast shutdown (SIGINT to the postmaster's PID), then remove the folder."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        shutil.rmtree(self.folder, ignore_errors=True)


def start_postgres() -> PostgresServer:
    """initdb a cluster in a new temporary folder and start it on a free loopback port."""
    binaries = pg_bin_dir()
    as_user = _run_as()
    # mkdtemp makes a 0700 folder in /tmp, which the postgres user must own.
    folder = Path(tempfile.mkdtemp(prefix="webphone-pg-"))
    if as_user:
        os.chown(folder, as_user["user"], as_user["group"])
    data = folder / "data"
    subprocess.run(
        [binaries / "initdb", "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8",
         "--locale=C", "--no-sync", "--no-instructions"],
        cwd=folder, check=True, capture_output=True, timeout=60, **as_user,
    )  # fmt: skip
    port = _free_port()
    with open(folder / "server.log", "wb") as log:
        if as_user:
            os.chown(folder / "server.log", as_user["user"], as_user["group"])
        process = subprocess.Popen(
            [binaries / "postgres", "-D", data, "-p", str(port), "-k", folder,
             "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off",
             "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
             "-c", "max_connections=60"],
            cwd=folder, stdout=log, stderr=subprocess.STDOUT, **as_user,
        )  # fmt: skip
    server = PostgresServer(folder, port, process)
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            server._admin().close()
            return server
        except psycopg.OperationalError:
            if process.poll() is not None or time.monotonic() > deadline:
                log_text = server.log()
                server.stop()
                raise RuntimeError(f"PostgreSQL did not start:\n{log_text}") from None
            time.sleep(0.05)
