"""`webphone serve` as a user starts it: demo users, the page, a call to echo kept as a CDR row."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from support.page import FakePage
from support.services import free_port, wait_for_tcp
from webphone.store import Database

WEBPHONE = [sys.executable, "-m", "webphone.cli"]


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[tuple[int, subprocess.Popen[str]]]:
    port = free_port("tcp")
    env = {**os.environ, "WEBPHONE_DATA_DIR": str(tmp_path), "WEBPHONE_MEDIA_HOSTS": "127.0.0.1"}
    env.pop("WEBPHONE_DATABASE_URL", None)
    process = subprocess.Popen(
        [*WEBPHONE, "serve", "--port", str(port), "--media-host", "127.0.0.1"],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for_tcp("127.0.0.1", port, timeout=15)
        yield port, process
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=10)


async def test_demo_users_call_echo_and_the_call_is_stored(
    serve: tuple[int, subprocess.Popen[str]], tmp_path: Path
) -> None:
    port, process = serve
    assert process.stdout is not None
    printed = "".join([process.stdout.readline() for _ in range(6)])
    assert f"http://localhost:{port}/" in printed
    found = dict(re.findall(r"  (alice|bob) / (\S+): ", printed))
    assert set(found) == {"alice", "bob"}  # demo users on loopback, passwords shown once

    page = FakePage(f"ws://127.0.0.1:{port}/gateway")
    await page.connect()
    try:
        await page.ok("set_config", username="alice", password=found["alice"])
        await page.ok("register")
        await page.ok("make_call", address="echo")
        await page.event("answer")
        await asyncio.sleep(1.0)
        await page.ok("hangup")
        cdr = (await page.event("end"))["cdr"]
    finally:
        await page.close()
    assert cdr["sip_status"] == 200 and cdr["media"]["packets_received"] > 0

    with Database.open(tmp_path) as db:
        for _ in range(50):  # the row is finished off the event loop
            rows = db.cdrs.list()
            if rows and all(r.state == "ended" for r in rows):
                break
            await asyncio.sleep(0.1)
        assert [(r.call_id, r.state, r.sip_status) for r in rows] == [
            (cdr["call_id"], "ended", 200)
        ]


def test_a_busy_port_is_a_clear_error(
    serve: tuple[int, subprocess.Popen[str]], tmp_path: Path
) -> None:
    port, _ = serve
    result = subprocess.run(
        [*WEBPHONE, "serve", "--port", str(port), "--data-dir", str(tmp_path / "other")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert f"--port: 127.0.0.1:{port} is in use" in result.stderr


def test_a_database_from_a_newer_webphone_is_a_clear_error(tmp_path: Path) -> None:
    with Database.open(tmp_path) as db, db.write() as session:
        session.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    result = subprocess.run(
        [*WEBPHONE, "serve", "--port", "0", "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "revision 9999" in result.stderr and "Traceback" not in result.stderr
