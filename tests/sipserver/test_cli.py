"""`webphone sip-server`: flags checked with errors that name them, a real run, SIGTERM."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from webphone.cli import main

OPTIONS = (
    "OPTIONS sip:127.0.0.1 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bKcli;rport\r\n"
    "Max-Forwards: 70\r\nFrom: <sip:t@127.0.0.1>;tag=t\r\nTo: <sip:127.0.0.1>\r\n"
    "Call-ID: cli-test\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
)


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        ("--udp", "nonsense", "expected HOST:PORT"),
        ("--tcp", "127.0.0.1:70000", "out of range"),
        ("--ws", "::1:5066", "IPv6 goes in brackets"),
    ],
)
def test_bad_host_port_names_the_flag(
    flag: str, value: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit:
        main(["sip-server", flag, value])
    assert exit.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {flag}" in err and message in err and "Traceback" not in err


def test_port_in_use_and_bad_domain(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        args = ["sip-server", "--udp", f"127.0.0.1:{port}", "--tcp", "off", "--ws", "off"]
        status = main([*args, "--data-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert status == 2 and f"--udp: cannot listen on 127.0.0.1:{port}" in err
    assert main(["sip-server", "--domain", "not a domain", "--data-dir", str(tmp_path)]) == 2
    assert "--domain" in capsys.readouterr().err


def test_runs_answers_and_stops_on_sigterm(tmp_path: Path) -> None:
    assert main(["user", "add", "alice", "--password", "pw", "--data-dir", str(tmp_path)]) == 0
    listen = ["--udp", "127.0.0.1:0", "--tcp", "127.0.0.1:0", "--ws", "127.0.0.1:0"]
    command = [sys.executable, "-m", "webphone.cli", "sip-server", *listen]
    with subprocess.Popen(
        [*command, "--data-dir", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    ) as process:
        try:
            assert process.stdout is not None and process.stderr is not None
            lines = [process.stdout.readline() for _ in range(4)]
            assert lines[3].startswith("1 SIP user(s)"), lines
            listening = "".join(lines[:3])
            assert "ws ws://127.0.0.1:" in listening and "tcp 127.0.0.1:" in listening
            match = re.search(r"udp 127\.0\.0\.1:(\d+)", listening)
            assert match is not None
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
                sock.bind(("127.0.0.1", 0))
                sock.settimeout(5)
                text = OPTIONS.format(port=sock.getsockname()[1])
                sock.sendto(text.encode(), ("127.0.0.1", int(match[1])))
                assert sock.recv(65535).startswith(b"SIP/2.0 200 ")
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=10) == 0
            assert "Traceback" not in process.stderr.read()
        finally:
            if process.poll() is None:
                process.kill()
