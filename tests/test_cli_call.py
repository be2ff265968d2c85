"""`webphone call` and `webphone answer` as a VoIP engineer runs them, against the server."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import wave
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.services import free_port, wait_for_tcp

WEBPHONE = [sys.executable, "-m", "webphone.cli"]
USERS = {"alice": "alice-secret", "bob": "bob-secret"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`webphone sip-server` with alice and bob, its WebSocket URL; stopped by PID."""
    data = tmp_path_factory.mktemp("data")
    env = {**os.environ, "WEBPHONE_DATA_DIR": str(data), "WEBPHONE_MEDIA_HOSTS": "127.0.0.1"}
    for name, password in USERS.items():
        subprocess.run(
            [*WEBPHONE, "user", "add", name, "--password", password], env=env, check=True
        )
    port = free_port("tcp")
    listen = ["--ws", f"127.0.0.1:{port}", "--udp", "off", "--tcp", "off"]
    process = subprocess.Popen([*WEBPHONE, "sip-server", *listen], env=env)
    try:
        wait_for_tcp("127.0.0.1", port, timeout=10)
        yield f"ws://127.0.0.1:{port}"
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(10)


def webphone(*args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "WEBPHONE_MEDIA_HOSTS": "127.0.0.1"}
    return subprocess.run(
        [*WEBPHONE, *args], check=False, env=env, capture_output=True, text=True, timeout=timeout
    )


def account(server: str, user: str, password: str | None = None) -> list[str]:
    return ["--server", server, "--user", user, "--password", password or USERS[user]]


def test_call_echo_with_json_reports_every_event_and_the_cdr_last(server: str) -> None:
    result = webphone("call", "echo", *account(server, "alice"), "--seconds", "2", "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    names = [e["event"] for e in events]
    assert names[:2] == ["connection", "registered"]
    assert "answer" in names
    end = next(e for e in events if e["event"] == "end")
    cdr = end["cdr"]
    assert (cdr["to"], cdr["sip_status"], cdr["ended_by"]) == ("sip:echo@127.0.0.1", 200, "local")
    assert cdr["talk_seconds"] >= 1.9
    assert cdr["media"]["packets_received"] > 50
    assert cdr["media"]["codec"] == "opus/48000/2"


def test_call_and_answer_with_dtmf_and_hold_in_words(server: str, tmp_path: Path) -> None:
    recording = tmp_path / "heard.wav"
    answer_args = [*account(server, "bob"), "--tone", "880", "--seconds", "10", "--wait", "20"]
    answering = subprocess.Popen(
        [*WEBPHONE, "answer", *answer_args, "--record", str(recording)],
        env={**os.environ, "WEBPHONE_MEDIA_HOSTS": "127.0.0.1"},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert answering.stdout is not None
        assert "registered" in answering.stdout.readline() + answering.stdout.readline()
        caller = webphone(
            "call", "bob", *account(server, "alice"),
            "--seconds", "3", "--dtmf", "12", "--hold-after", "1",
        )  # fmt: skip
        assert caller.returncode == 0, caller.stdout + caller.stderr
        assert "ringing (180)" in caller.stdout
        assert "on hold by us" in caller.stdout and "off hold" in caller.stdout
        assert "heard 880 Hz" in caller.stdout
        assert "ended by local: 200 hung up" in caller.stdout
        out, _ = answering.communicate(timeout=20)
    finally:
        answering.kill()
    assert answering.returncode == 0
    assert "incoming call from <sip:alice@127.0.0.1>" in out
    assert "received DTMF 1 (info)" in out and "received DTMF 2 (info)" in out
    assert "on hold by them" in out
    with wave.open(str(recording)) as wav:
        assert wav.getnframes() > wav.getframerate()  # more than a second of what bob heard


def test_unknown_callee_fails_with_the_status(server: str) -> None:
    result = webphone("call", "nobody", *account(server, "alice"))
    assert result.returncode == 1
    assert "ended by remote: 404 Not Found" in result.stdout
    assert "the call was not answered: 404" in result.stdout


def test_wrong_password_exits_3_and_says_why(server: str) -> None:
    started = time.monotonic()
    result = webphone("call", "echo", *account(server, "alice", "wrong"))
    assert result.returncode == 3
    assert "wrong user name or password (401" in result.stdout
    assert time.monotonic() - started < 10  # refused, not retried in a loop


def test_dead_servers_exit_3_naming_each(server: str) -> None:
    dead = [f"ws://127.0.0.1:{free_port('tcp')}" for _ in range(2)]
    result = webphone("call", "echo", "--server", ",".join(dead), "--user", "a", "--password", "p")
    assert result.returncode == 3
    assert all(url in result.stdout for url in dead)


def test_bad_flags_exit_2_naming_the_setting() -> None:
    result = webphone("call", "echo", "--server", "http://x", "--user", "a")
    assert result.returncode == 2
    assert "ws_servers='http://x'" in result.stderr
