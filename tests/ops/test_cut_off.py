"""A server killed mid-call leaves the call's CDR row behind, and its next start marks the row
cut off: a crash never loses a call."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

from support.page import FakePage
from support.services import free_port, wait_for_tcp
from webphone.store import Database

WEBPHONE = [sys.executable, "-m", "webphone.cli"]
PASSWORD = "alice-password"


def start(data_dir: Path, port: int) -> subprocess.Popen[str]:
    env = {**os.environ, "WEBPHONE_DATA_DIR": str(data_dir), "WEBPHONE_MEDIA_HOSTS": "127.0.0.1"}
    env.pop("WEBPHONE_DATABASE_URL", None)
    process = subprocess.Popen(
        [*WEBPHONE, "serve", "--port", str(port), "--no-demo-users", "--media-host", "127.0.0.1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    wait_for_tcp("127.0.0.1", port, timeout=15)
    return process


async def test_a_call_of_a_killed_server_is_cut_off_at_the_next_start(tmp_path: Path) -> None:
    with Database.open(tmp_path) as db:
        db.sip_users.add("alice", PASSWORD)
    port = free_port()
    process = start(tmp_path, port)
    page = FakePage(f"ws://127.0.0.1:{port}/gateway")
    try:
        await page.connect()
        await page.ok("set_config", username="alice", password=PASSWORD)
        await page.ok("register")
        call_id = (await page.ok("make_call", address="echo"))["call_id"]
        await page.event("answer")
        with Database.open(tmp_path) as db:
            for _ in range(100):  # written in a thread as the call starts, answered mid-call
                rows = db.cdrs.list()
                if rows and rows[0].answered_at is not None:
                    break
                await asyncio.sleep(0.05)
            assert [(r.call_id, r.state) for r in rows] == [(call_id, "active")]
        process.send_signal(signal.SIGKILL)  # no clean-up at all
        process.communicate(timeout=10)
    finally:
        await page.close()
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=10)

    again = start(tmp_path, port)
    try:
        with Database.open(tmp_path) as db:
            (row,) = db.cdrs.list()
        assert (row.call_id, row.state, row.ended_by) == (call_id, "cut_off", "system")
        assert row.reason == "cut off: the server stopped during the call"
        assert row.answered_at is not None and row.user_name == "alice"
    finally:
        again.send_signal(signal.SIGTERM)
        output, _ = again.communicate(timeout=10)
    assert "1 call(s) of the last run were cut off" in output
