"""`webphone user add|list|remove|passwd` through `webphone.cli.main`."""

from __future__ import annotations

from pathlib import Path

import pytest

from webphone.cli import main
from webphone.store import UserStore


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_add_list_passwd_remove(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = str(tmp_path)
    assert run(capsys, "user", "add", "alice", "--password", "one", "--data-dir", d)[0] == 0
    assert run(capsys, "user", "add", "bob", "--password", "two", "--data-dir", d)[0] == 0
    status, out, _ = run(capsys, "user", "list", "--data-dir", d)
    assert status == 0 and [line.split("\t")[0] for line in out.splitlines()] == ["alice", "bob"]
    assert "one" not in out
    assert run(capsys, "user", "passwd", "alice", "--password", "new", "--data-dir", d)[0] == 0
    store = UserStore.open(d)
    assert store.get_password("alice") == "new"
    store.close()
    assert run(capsys, "user", "remove", "bob", "--data-dir", d)[0] == 0
    assert run(capsys, "user", "list", "--data-dir", d)[1].startswith("alice\t")


def test_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.setenv("WEBPHONE_DATA_DIR", str(tmp_path))  # the environment picks the folder
    assert run(capsys, "user", "add", "alice", "--password", "one")[0] == 0
    status, _, err = run(capsys, "user", "add", "alice", "--password", "two")
    assert status == 1 and "already exists" in err
    status, _, err = run(capsys, "user", "add", "bad name", "--password", "x")
    assert status == 2 and "bad user name" in err
    status, _, err = run(capsys, "user", "remove", "nobody")
    assert status == 1 and "no user 'nobody'" in err
    status, _, err = run(capsys, "user", "passwd", "nobody", "--password", "x")
    assert status == 1 and "no user" in err
    status, _, err = run(capsys, "user", "add", "carol", "--password", "")
    assert status == 2 and "empty" in err


def test_password_prompt_only_on_a_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    d = str(tmp_path)
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    status, _, err = run(capsys, "user", "add", "alice", "--data-dir", d)
    assert status == 2 and "--password is required" in err
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    answers = iter(["typed", "typed", "first", "second"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    assert run(capsys, "user", "add", "alice", "--data-dir", d)[0] == 0
    status, _, err = run(capsys, "user", "passwd", "alice", "--data-dir", d)
    assert status == 2 and "differ" in err
    store = UserStore.open(d)
    assert store.get_password("alice") == "typed"
    store.close()
