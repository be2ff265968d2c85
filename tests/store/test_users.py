"""SIP users on SQLite and PostgreSQL (`db.sip_users`), and `UserStore`, their older name, on a
temporary SQLite file: add, list, remove, passwords, names, data dir."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from webphone.sipserver import UserDirectory
from webphone.store import (
    DATA_DIR_ENV,
    Database,
    SipUsers,
    UserError,
    UserExistsError,
    UserNotFoundError,
    UserStore,
    data_dir,
    validate_name,
)


@pytest.fixture
def user_store(tmp_path: Path) -> Iterator[UserStore]:
    store = UserStore.open(tmp_path / "data")
    yield store
    store.close()


@pytest.fixture
def store(db: Database) -> SipUsers:
    return db.sip_users


def test_add_list_and_passwords(store: SipUsers) -> None:
    store.add("bob", "bob-secret")
    store.add("alice", 'pässwörd with spaces, "quotes" and \\')
    assert [u.name for u in store.list()] == ["alice", "bob"]
    assert store.get_password("alice") == 'pässwörd with spaces, "quotes" and \\'
    assert store.get_password("nobody") is None
    assert "bob" in store and "nobody" not in store
    created = store.list()[0].created_at
    assert created.year >= 2024 and created.utcoffset() == timedelta(0)
    assert "secret" not in repr(store.list())  # passwords stay out of logs


def test_user_store_makes_the_file(user_store: UserStore, tmp_path: Path) -> None:
    user_store.add("alice", "one")
    assert (tmp_path / "data" / "webphone.db").is_file()
    assert user_store.get_password("alice") == "one" and "alice" in user_store


def test_persists_across_opens(tmp_path: Path) -> None:
    first = UserStore.open(tmp_path)
    first.add("alice", "one")
    first.close()
    second = UserStore.open(tmp_path)
    assert second.get_password("alice") == "one"
    second.close()


def test_duplicate_missing_and_password_change(store: SipUsers) -> None:
    store.add("alice", "one")
    with pytest.raises(UserExistsError):
        store.add("alice", "two")
    store.set_password("alice", "two")
    assert store.get_password("alice") == "two"
    with pytest.raises(UserNotFoundError):
        store.set_password("bob", "x")
    store.remove("alice")
    with pytest.raises(UserNotFoundError):
        store.remove("alice")
    assert store.list() == []


@pytest.mark.parametrize(
    "name", ["", "a b", "alice@example.com", "sip:alice", "-alice", "a;b", "x" * 65, "ä"]
)
def test_bad_names_are_refused(user_store: UserStore, name: str) -> None:
    with pytest.raises(UserError):
        validate_name(name)
    with pytest.raises(UserError):
        user_store.add(name, "pw")


@pytest.mark.parametrize("name", ["alice", "bob.smith", "1001", "a_b-c~d+e", "x" * 64])
def test_good_names(name: str) -> None:
    assert validate_name(name) == name


@pytest.mark.parametrize("password", ["", "line\nbreak", "nul\x00", "x" * 257])
def test_bad_passwords_are_refused(user_store: UserStore, password: str) -> None:
    with pytest.raises(UserError):
        user_store.add("alice", password)
    assert user_store.list() == []


def test_data_dir_choice(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(DATA_DIR_ENV, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert data_dir() == tmp_path / ".local" / "share" / "webphone"
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "env"))
    assert data_dir() == tmp_path / "env"
    assert data_dir(tmp_path / "flag") == tmp_path / "flag"


def test_is_a_user_directory_for_the_sip_server(user_store: UserStore, store: SipUsers) -> None:
    for users in (user_store, store):
        directory: UserDirectory = users  # structurally: get_password(name) -> str | None
        assert isinstance(users, UserDirectory)
        users.add("alice", "pw")
        assert directory.get_password("alice") == "pw"
