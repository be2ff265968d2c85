"""Admin fixtures: the web app over a fresh SQLite database (copied from one migrated file with
an admin in it), an in-process browser, and one already signed in."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.applications import Starlette

from webphone.store import DATA_DIR_ENV, DATABASE_URL_ENV, Database
from webphone.web import Settings, create_app
from webphone.web.admin import Registration
from webphone.web.admin.auth import SESSION_COOKIE, Signer, load_secret

from .client import Browser

ADMIN, PASSWORD = "ada", "correct horse battery"


@pytest.fixture(autouse=True)
def _no_database_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    monkeypatch.delenv(DATA_DIR_ENV, raising=False)


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated database file with the admin ADMIN (hashing is slow: done once)."""
    folder = tmp_path_factory.mktemp("admin-template")
    with Database.open(folder) as db:
        db.admin_users.add(ADMIN, PASSWORD)
    return folder / "webphone.db"


@pytest.fixture
def db(template: Path, tmp_path: Path) -> Iterator[Database]:
    shutil.copyfile(template, tmp_path / "webphone.db")
    database = Database.open(tmp_path, node="test-node")
    try:
        yield database
    finally:
        database.close()


@pytest.fixture
def registrations() -> list[Registration]:
    """What the app's embedded SIP server reports as registered: edit the list in a test."""
    return []


@pytest.fixture
def app(db: Database, tmp_path: Path, registrations: list[Registration]) -> Starlette:
    return create_app(
        Settings(data_dir=tmp_path), database=db, registrations=lambda: list(registrations)
    )


@pytest.fixture
def browser(app: Starlette) -> Browser:
    return Browser(app)


@pytest.fixture
def admin(browser: Browser, db: Database, tmp_path: Path) -> Browser:
    """A browser signed in as ADMIN, by a session cookie made as sign-in makes it."""
    user = db.admin_users.get(ADMIN)
    assert user is not None
    browser.jar[SESSION_COOKIE] = Signer(load_secret(tmp_path)).issue(ADMIN, user.password_hash)
    return browser
