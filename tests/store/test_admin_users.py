"""Admin users on both backends: argon2 hashes, login, the lock after failed logins."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher

from webphone.store import (
    Database,
    ExistsError,
    NotFoundError,
    ValidationError,
    admins,
    hash_password,
    needs_rehash,
    verify_password,
)
from webphone.store.admins import LOCK_TIME, MAX_FAILED_LOGINS

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
# The production parameters take about 0.1 s a hash here; these keep the tests quick.
FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture(autouse=True)
def _fast_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(admins, "_hasher", FAST)


def test_hash_and_verify_with_the_real_parameters(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.undo()  # this one test uses the production hasher
    hashed = hash_password("correct horse")
    assert hashed.startswith("$argon2id$") and "correct horse" not in hashed
    assert verify_password("correct horse", hashed)
    assert not verify_password("wrong horse", hashed)
    assert not verify_password("correct horse", "not a hash")
    assert not needs_rehash(hashed)
    assert needs_rehash(FAST.hash("correct horse"))


def test_add_get_list_remove(db: Database) -> None:
    users = db.admin_users
    users.add("root", "password1", now=NOW)
    users.add("ops@example.com", "password2")
    assert [u.name for u in users.list()] == ["ops@example.com", "root"]
    root = users.get("root")
    assert root is not None and root.created_at == NOW
    assert root.failed_logins == 0 and root.locked_until is None
    assert verify_password("password1", root.password_hash)
    assert "password1" not in repr(root) and root.password_hash not in repr(root)
    with pytest.raises(ExistsError):
        users.add("root", "password3")
    users.remove("root")
    assert users.get("root") is None
    with pytest.raises(NotFoundError):
        users.remove("root")


@pytest.mark.parametrize(
    ("name", "password", "field"),
    [
        ("", "password1", "name"),
        ("bad name", "password1", "name"),
        ("x" * 65, "password1", "name"),
        ("root", "short", "password"),
        ("root", "x" * 1025, "password"),
    ],
)
def test_validation_names_the_field(db: Database, name: str, password: str, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        db.admin_users.add(name, password)
    assert caught.value.field == field and str(caught.value).startswith(f"{field}=")
    assert password not in str(caught.value) or field == "name"  # passwords are not echoed
    assert db.admin_users.list() == []


def test_authenticate(db: Database) -> None:
    users = db.admin_users
    users.add("root", "password1")
    user = users.authenticate("root", "password1", now=NOW)
    assert user is not None and user.name == "root"
    assert users.authenticate("root", "Password1", now=NOW) is None
    assert users.authenticate("nobody", "password1", now=NOW) is None
    assert users.get("root").failed_logins == 1  # type: ignore[union-attr]
    assert users.authenticate("root", "password1", now=NOW) is not None  # a success resets
    assert users.get("root").failed_logins == 0  # type: ignore[union-attr]


def test_failed_logins_lock_the_account(db: Database) -> None:
    users = db.admin_users
    users.add("root", "password1")
    for _ in range(MAX_FAILED_LOGINS):
        assert users.authenticate("root", "guess", now=NOW) is None
    locked = users.get("root")
    assert locked is not None and locked.locked_until == NOW + LOCK_TIME
    # While locked, even the right password is refused, and does not count.
    assert users.authenticate("root", "password1", now=NOW + timedelta(minutes=1)) is None
    later = NOW + LOCK_TIME + timedelta(seconds=1)
    # After the lock, one more failure locks it again at once.
    assert users.authenticate("root", "guess", now=later) is None
    assert users.get("root").locked_until == later + LOCK_TIME  # type: ignore[union-attr]
    # The right password after the lock opens it and clears the count.
    user = users.authenticate("root", "password1", now=later + LOCK_TIME)
    assert user is not None and user.failed_logins == 0 and user.locked_until is None


def test_set_password_and_unlock(db: Database) -> None:
    users = db.admin_users
    users.add("root", "password1")
    for _ in range(MAX_FAILED_LOGINS):
        users.authenticate("root", "guess", now=NOW)
    users.unlock("root")
    assert users.authenticate("root", "password1", now=NOW) is not None
    for _ in range(MAX_FAILED_LOGINS):
        users.authenticate("root", "guess", now=NOW)
    users.set_password("root", "password2")  # an admin's reset also lifts the lock
    assert users.authenticate("root", "password1", now=NOW) is None
    assert users.authenticate("root", "password2", now=NOW) is not None
    with pytest.raises(NotFoundError):
        users.set_password("nobody", "password2")
    with pytest.raises(ValidationError):
        users.set_password("root", "short")


def test_an_old_hash_is_upgraded_at_login(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    db.admin_users.add("root", "password1")
    old = db.admin_users.get("root").password_hash  # type: ignore[union-attr]
    monkeypatch.setattr(admins, "_hasher", PasswordHasher(time_cost=2, memory_cost=2048))
    assert db.admin_users.authenticate("root", "password1", now=NOW) is not None
    new = db.admin_users.get("root").password_hash  # type: ignore[union-attr]
    assert new != old and not needs_rehash(new) and verify_password("password1", new)
