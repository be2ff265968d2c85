"""`webphone admin create|passwd|list`, and the first admin `webphone serve` makes on loopback."""

from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from support.services import free_port, wait_for_tcp
from webphone.cli import main
from webphone.commands.admin import create_first_admin
from webphone.store import Database


def test_create_list_and_passwd(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = ["--data-dir", str(tmp_path)]
    assert main(["admin", "create", "ada", "--password", "long enough", *data]) == 0
    assert main(["admin", "create", "ada", "--password", "long enough", *data]) == 1
    assert main(["admin", "create", "bad name", "--password", "long enough", *data]) == 2
    assert main(["admin", "create", "bob", "--password", "short", *data]) == 2
    assert main(["admin", "list", *data]) == 0
    out, err = capsys.readouterr()
    assert "created admin ada" in out and re.search(r"^ada\t\d{4}-", out, re.M)
    assert "already exists" in err and "name=" in err and "at least 8 characters" in err
    with Database.open(tmp_path) as db:
        for _ in range(5):
            db.admin_users.authenticate("ada", "wrong")
    assert main(["admin", "list", *data]) == 0
    assert "(locked until" in capsys.readouterr().out
    assert main(["admin", "passwd", "ada", "--password", "a new password", *data]) == 0
    assert main(["admin", "passwd", "nobody", "--password", "a new password", *data]) == 1
    with Database.open(tmp_path) as db:  # a new password also lifts the lock
        assert db.admin_users.authenticate("ada", "a new password") is not None


def test_the_first_admin_is_made_once(tmp_path: Path) -> None:
    with Database.open(tmp_path) as db:
        password = create_first_admin(db.admin_users)
        assert password is not None and len(password) >= 16
        assert db.admin_users.authenticate("admin", password) is not None
        assert create_first_admin(db.admin_users) is None


def test_serve_prints_the_first_admin_who_can_sign_in(tmp_path: Path) -> None:
    port = free_port("tcp")
    env = {**os.environ, "WEBPHONE_DATA_DIR": str(tmp_path)}
    env.pop("WEBPHONE_DATABASE_URL", None)
    command = [sys.executable, "-m", "webphone.cli", "serve", "--port", str(port)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
    try:
        wait_for_tcp("127.0.0.1", port, timeout=15)
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(9)]
        printed = "".join(lines)
        assert f"Admin at http://localhost:{port}/admin/" in printed, printed
        match = re.search(r"^  admin / (\S+)$", printed, re.M)
        assert match, printed
        base = f"http://127.0.0.1:{port}"
        opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        with opener.open(f"{base}/admin/login", timeout=5) as reply:
            token = re.search(r'name="csrf" value="([^"]+)"', reply.read().decode())
        assert token
        form = {"csrf": token.group(1), "name": "admin", "password": match.group(1)}
        request = urllib.request.Request(
            f"{base}/admin/login",
            data=urllib.parse.urlencode(form).encode(),
            headers={"Origin": base},
        )
        with opener.open(request, timeout=5) as reply:  # follows the 303 to the admin
            assert reply.url == f"{base}/admin/components"
            assert "Sign out" in reply.read().decode()
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=10)
