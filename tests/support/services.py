"""Real services for tests: Kamailio (SIP over WebSocket and UDP) and SIPp.

Every service is started by the test that needs it, listens on 127.0.0.1 only, is waited for
with a bounded timeout, is stopped by its PID (SIGTERM, then SIGKILL after a timeout; never by
name) and leaves no temporary directory behind. A missing program raises ServiceError with the
Debian package to install (`scripts/install --test`).

    with Kamailio({"alice": "alice-secret", "bob": "bob-secret"}) as kamailio:
        ws = websockets.sync.client.connect(kamailio.ws_url, subprotocols=["sip"])
        ...
    result = Sipp("uac.xml", kamailio.udp_target, service="sippuas", calls=50, rate=10).run()
    assert result.ok, result.summary()
"""

from __future__ import annotations

import contextlib
import csv
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, Literal, Self

SUPPORT_DIR = Path(__file__).resolve().parent
KAMAILIO_TEMPLATE = SUPPORT_DIR / "kamailio" / "kamailio.cfg"
SIPP_SCENARIOS = SUPPORT_DIR / "sipp"
LOOPBACK = "127.0.0.1"
INSTALL_HINT = "run scripts/install --test (as root) to install what the tests need"


class ServiceError(RuntimeError):
    """A service is missing, did not start in time, or failed."""


def find_program(name: str, package: str) -> str:
    """Absolute path of `name` (also looked up in /usr/sbin and /sbin), else ServiceError."""
    path = shutil.which(name) or shutil.which(name, path="/usr/local/sbin:/usr/sbin:/sbin")
    if path is None:
        raise ServiceError(f"`{name}` is not installed (Debian package {package}); {INSTALL_HINT}")
    return path


def free_port(kind: Literal["tcp", "udp"] = "tcp", host: str = LOOPBACK) -> int:
    """A port on `host` that is free right now for `kind` (the OS picks it)."""
    if kind not in ("tcp", "udp"):
        raise ValueError(f"kind must be 'tcp' or 'udp', not {kind!r}")
    sock_type = socket.SOCK_STREAM if kind == "tcp" else socket.SOCK_DGRAM
    with socket.socket(socket.AF_INET, sock_type) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_tcp(
    host: str,
    port: int,
    timeout: float,
    process: subprocess.Popen[bytes] | None = None,
) -> None:
    """Wait until `host:port` accepts a TCP connection; fail early if `process` exits."""
    deadline = time.monotonic() + timeout
    while True:
        if process is not None and process.poll() is not None:
            raise ServiceError(f"process {process.pid} exited with {process.returncode}")
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            pass
        if time.monotonic() >= deadline:
            raise ServiceError(f"nothing accepts TCP connections on {host}:{port} after {timeout}s")
        time.sleep(0.05)


def stop_process(process: subprocess.Popen[bytes], timeout: float = 5.0) -> int:
    """Stop `process` by its PID: SIGTERM, SIGKILL after `timeout`; returns its exit status.

    The process must have been started with `start_new_session=True`: processes it forked that
    are still alive once it has exited are then killed through its process group, whose ID is
    the process's own PID (still reserved while the exited process is not yet reaped).
    """
    pid = process.pid
    if process.returncode is not None:
        return process.returncode
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    exited = False
    while time.monotonic() < deadline:
        # WNOWAIT: learn that it exited without reaping it, so its PID (and its process
        # group's ID) cannot be reused before the group is cleaned up below.
        info = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        if info is not None:
            exited = True
            break
        time.sleep(0.02)
    if not exited:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
    return process.wait(timeout=timeout)


def _tail(text: str, lines: int = 60) -> str:
    return "\n".join(text.splitlines()[-lines:])


# ---------------------------------------------------------------------------------------------
# Kamailio

_USER_RE = re.compile(r"^[A-Za-z0-9._~+-]+$")
_DOMAIN_RE = re.compile(r"^[A-Za-z0-9.-]+$")


def _dbtext_escape(value: str) -> str:
    """A string value as a field of a Kamailio db_text table."""
    replacements = {"\\": "\\\\", ":": "\\:", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\0": "\\0"}
    return "".join(replacements.get(char, char) for char in value)


def users_table(users: Mapping[str, str]) -> str:
    """The db_text `users` table for htable: one row per user, the plaintext password as value."""
    lines = ["id(int,auto) key_name(string) key_type(int) value_type(int) key_value(string) "]
    for index, (user, password) in enumerate(users.items(), start=1):
        if not _USER_RE.match(user):
            raise ValueError(f"user name {user!r} not allowed (letters, digits, . _ ~ + - only)")
        if not password:
            raise ValueError(f"user {user!r}: empty password")
        lines.append(f"{index}:{user}:0:0:{_dbtext_escape(password)}")
    return "\n".join(lines) + "\n"


class Kamailio:
    """A Kamailio 5.6 registrar and proxy, started in a temporary directory.

    WebSocket (SIP over WS, RFC 7118) on `ws_url`, UDP on `udp_target`, both on 127.0.0.1.
    `users` maps user names to plaintext passwords (digest, realm = `domain`). With
    `auth_ws`/`auth_udp` false, requests over that transport are not challenged (any user
    may register, as SIPp does without credentials). Use it as a context manager; when the
    `with` block raises, the end of Kamailio's log is attached to the exception as a note.
    """

    def __init__(
        self,
        users: Mapping[str, str] | None = None,
        *,
        domain: str = LOOPBACK,
        ws_port: int | None = None,
        udp_port: int | None = None,
        auth_ws: bool = True,
        auth_udp: bool = True,
        debug_level: int = 2,
        start_timeout: float = 10.0,
        stop_timeout: float = 5.0,
        template: Path = KAMAILIO_TEMPLATE,
    ) -> None:
        if not _DOMAIN_RE.match(domain):
            raise ValueError(f"domain {domain!r} not allowed")
        self.users = dict(users or {})
        users_table(self.users)  # validates
        self.domain = domain
        self.ws_port = ws_port or free_port("tcp")
        self.udp_port = udp_port or free_port("udp")
        self.auth_ws = auth_ws
        self.auth_udp = auth_udp
        self.debug_level = debug_level
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self.template = template
        self.directory: Path | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self.last_log = ""
        self._log_file: IO[bytes] | None = None

    # addresses ---------------------------------------------------------------------------
    @property
    def host(self) -> str:
        return LOOPBACK

    @property
    def ws_url(self) -> str:
        return f"ws://{LOOPBACK}:{self.ws_port}"

    @property
    def udp_target(self) -> str:
        """`127.0.0.1:<udp port>`, the form SIPp takes as its remote host."""
        return f"{LOOPBACK}:{self.udp_port}"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def _path(self, name: str) -> Path:
        if self.directory is None:
            raise ServiceError("Kamailio is not started")
        return self.directory / name

    @property
    def config_path(self) -> Path:
        return self._path("kamailio.cfg")

    @property
    def log_path(self) -> Path:
        return self._path("kamailio.log")

    @property
    def ctl_socket(self) -> Path:
        return self._path("ctl.sock")

    # configuration -----------------------------------------------------------------------
    def render_config(self, directory: Path) -> str:
        """The configuration: a header of listen lines and defines, then the template."""
        template = self.template.read_text()
        if template.startswith("#!KAMAILIO\n"):
            template = template.removeprefix("#!KAMAILIO\n")
        header = [
            "#!KAMAILIO",
            "# generated by tests/support/services.py from " + str(self.template),
            "#!define LISTEN_SET",
            f'#!define DOMAIN "{self.domain}"',
            f'#!define USERS_DB_URL "text://{directory / "db"}"',
            f'#!define CTL_SOCKET "unix:{directory / "ctl.sock"}"',
            f"#!define DBG_LEVEL {int(self.debug_level)}",
        ]
        if not self.auth_ws:
            header.append("#!define NO_AUTH_WS")
        if not self.auth_udp:
            header.append("#!define NO_AUTH_UDP")
        header += [
            f"listen=tcp:{LOOPBACK}:{self.ws_port}",
            f"listen=udp:{LOOPBACK}:{self.udp_port}",
            "",
        ]
        return "\n".join(header) + template

    def write_files(self, directory: Path) -> Path:
        """Write kamailio.cfg and the db_text users table into `directory`."""
        (directory / "db").mkdir(exist_ok=True)
        (directory / "db" / "users").write_text(users_table(self.users))
        (directory / "db" / "version").write_text(
            "id(int,auto) table_name(string) table_version(int) \n1:version:1\n2:users:2\n"
        )
        config = directory / "kamailio.cfg"
        config.write_text(self.render_config(directory))
        return config

    # life cycle --------------------------------------------------------------------------
    def command(self) -> list[str]:
        kamailio = find_program("kamailio", "kamailio")
        directory = str(self._path(""))
        return [
            kamailio,
            "-DD",  # main process in the foreground: its PID is the one to stop
            "-E",  # log to stderr (our log file)
            "-f",
            str(self.config_path),
            "-Y",
            directory,  # runtime directory (default /run/kamailio may not exist)
            "-w",
            directory,
            "-a",
            "no",
            "-m",
            "64",
            "-M",
            "8",
        ]

    def start(self) -> Self:
        if self.process is not None:
            raise ServiceError("Kamailio is already started")
        find_program("kamailio", "kamailio")
        if not kamailio_module_exists("websocket"):
            raise ServiceError(
                "Kamailio's websocket module is missing (Debian package "
                f"kamailio-websocket-modules); {INSTALL_HINT}"
            )
        self.directory = Path(tempfile.mkdtemp(prefix="webphone-kamailio-"))
        try:
            self.write_files(self.directory)
            self._log_file = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
            self.process = subprocess.Popen(
                self.command(),
                stdin=subprocess.DEVNULL,
                stdout=self._log_file,
                stderr=subprocess.STDOUT,
                cwd=self.directory,
                start_new_session=True,
            )
            self._wait_ready()
        except BaseException as error:
            log = self.stop()
            if isinstance(error, Exception):
                error.add_note(f"kamailio log (last lines):\n{_tail(log)}")
            raise
        return self

    def _wait_ready(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + self.start_timeout
        try:
            wait_for_tcp(LOOPBACK, self.ws_port, self.start_timeout, self.process)
        except ServiceError as error:
            raise ServiceError(f"Kamailio did not start: {error}") from None
        # UDP: answered once the SIP workers run (OPTIONS to the server itself: 200 Keepalive)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.bind((LOOPBACK, 0))
            local_port = sock.getsockname()[1]
            attempt = 0
            while True:
                attempt += 1
                branch = f"z9hG4bK-ready-{os.getpid()}-{attempt}"
                options = (
                    f"OPTIONS sip:{LOOPBACK}:{self.udp_port} SIP/2.0\r\n"
                    f"Via: SIP/2.0/UDP {LOOPBACK}:{local_port};branch={branch};rport\r\n"
                    "Max-Forwards: 70\r\n"
                    f"From: <sip:ready@{LOOPBACK}>;tag=ready{attempt}\r\n"
                    f"To: <sip:{LOOPBACK}>\r\n"
                    f"Call-ID: ready-{os.getpid()}-{attempt}@{LOOPBACK}\r\n"
                    "CSeq: 1 OPTIONS\r\n"
                    "Content-Length: 0\r\n\r\n"
                )
                sock.sendto(options.encode(), (LOOPBACK, self.udp_port))
                sock.settimeout(0.2)
                try:
                    reply = sock.recv(65535)
                except TimeoutError:
                    reply = b""
                if reply.startswith(b"SIP/2.0 "):
                    return
                if self.process.poll() is not None:
                    raise ServiceError(f"Kamailio exited with {self.process.returncode}")
                if time.monotonic() >= deadline:
                    raise ServiceError(
                        f"Kamailio does not answer OPTIONS on udp {self.udp_target} "
                        f"after {self.start_timeout}s"
                    )

    def log(self) -> str:
        """Kamailio's output so far (after stop(): all of it)."""
        if self.process is None or self.directory is None:
            return self.last_log
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return self.last_log

    def rpc(self, *command: str, timeout: float = 5.0) -> str:
        """Run a kamcmd command on the control socket, e.g. rpc("ul.dump")."""
        kamcmd = find_program("kamcmd", "kamailio")
        result = subprocess.run(
            [kamcmd, "-s", f"unix:{self.ctl_socket}", *command],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if result.returncode != 0:
            raise ServiceError(f"kamcmd {' '.join(command)}: {result.stderr.strip()}")
        return result.stdout

    def stop(self) -> str:
        """Stop Kamailio by PID, remove its directory; returns its whole log."""
        if self.process is not None:
            stop_process(self.process, self.stop_timeout)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None
        if self.directory is not None:
            with contextlib.suppress(FileNotFoundError):
                self.last_log = self.log_path.read_text(errors="replace")
            shutil.rmtree(self.directory, ignore_errors=True)
        self.process = None
        self.directory = None
        return self.last_log

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        log = self.stop()
        if isinstance(exc, Exception):
            exc.add_note(f"kamailio log (last lines):\n{_tail(log)}")


def kamailio_module_exists(name: str) -> bool:
    """True when Kamailio's module `name` (e.g. "websocket") is installed."""
    candidates = [
        *Path("/usr/lib").glob(f"*/kamailio/modules/{name}.so"),
        Path(f"/usr/lib/kamailio/modules/{name}.so"),
        Path(f"/usr/local/lib64/kamailio/modules/{name}.so"),
    ]
    return any(path.is_file() for path in candidates)


# ---------------------------------------------------------------------------------------------
# SIPp


def scenario_path(scenario: str | Path) -> Path:
    """A scenario file: a path, or a name in tests/support/sipp/ (with or without .xml)."""
    path = Path(scenario)
    if path.is_file():
        return path.resolve()
    name = path.name if path.suffix == ".xml" else f"{path.name}.xml"
    candidate = SIPP_SCENARIOS / name
    if not candidate.is_file():
        raise ServiceError(f"no SIPp scenario {scenario!r} (looked in {SIPP_SCENARIOS})")
    return candidate


@dataclass(frozen=True)
class SippStats:
    """The last row of SIPp's statistics file (-trace_stat), cumulative counters."""

    successful: int
    failed: int
    created: int
    call_rate: float
    elapsed: str
    row: Mapping[str, str] = field(repr=False)


def parse_stat_csv(text: str, delimiter: str = ";") -> SippStats | None:
    """Parse SIPp's -trace_stat CSV; None when it holds no data row yet."""
    rows = [row for row in csv.reader(text.splitlines(), delimiter=delimiter) if row]
    if len(rows) < 2:
        return None
    header = [name.strip() for name in rows[0]]
    row = dict(zip(header, (value.strip() for value in rows[-1]), strict=False))

    def number(name: str) -> float:
        try:
            return float(row.get(name, "0") or 0)
        except ValueError:
            return 0.0

    return SippStats(
        successful=int(number("SuccessfulCall(C)")),
        failed=int(number("FailedCall(C)")),
        created=int(number("TotalCallCreated")),
        call_rate=number("CallRate(C)"),
        elapsed=row.get("ElapsedTime(C)", ""),
        row=row,
    )


@dataclass
class SippResult:
    """What a finished SIPp run left: exit status, statistics and its logs."""

    command: list[str]
    returncode: int
    stats: SippStats | None
    errors: str
    messages: str
    screen: str
    output: str

    @property
    def successful(self) -> int:
        return self.stats.successful if self.stats else 0

    @property
    def failed(self) -> int:
        return self.stats.failed if self.stats else 0

    @property
    def ok(self) -> bool:
        """SIPp's own verdict: exit status 0 means every call succeeded."""
        return self.returncode == 0 and self.failed == 0

    def summary(self) -> str:
        parts = [
            f"sipp exit {self.returncode}: {self.successful} successful, {self.failed} failed",
            "command: " + " ".join(self.command),
        ]
        if self.stats is not None:
            parts.append(f"rate {self.stats.call_rate:.1f} cps, elapsed {self.stats.elapsed}")
        if self.errors.strip():
            parts.append("unexpected messages (-trace_err):\n" + _tail(self.errors, 80))
        if self.output.strip():
            parts.append("output:\n" + _tail(self.output, 30))
        if self.screen.strip():
            parts.append("final screen:\n" + _tail(self.screen, 60))
        return "\n".join(parts)


class Sipp:
    """One SIPp process running a scenario from tests/support/sipp/ (or any path).

    `target` is the remote `host:port` (a UAS scenario needs none). `service` is SIPp's `-s`
    (`[service]`, the user part of the request URI and of a REGISTER's AoR), `calls` its `-m`,
    `rate` its `-r` (per `rate_period_ms`), `pause_ms` its `-d` (length of `<pause/>`),
    `auth` = (user, password) for `[authentication]` (`-au`/`-ap`), `keys` extra `-key`
    values (the scenarios use `caller`). SIPp listens on 127.0.0.1:`local_port` (a free UDP
    port unless given). Its own `-timeout` is `timeout` seconds (an error if reached), and
    the process is killed if it outlives that by a few seconds.

    `run()` waits for the end; `start()` + `wait()` (or `with`) runs it in the background, as
    a UAS that the test calls while it runs. SIPp exits 0 when every call succeeded, 1 when
    some failed.
    """

    def __init__(
        self,
        scenario: str | Path,
        target: str | None = None,
        *,
        service: str | None = None,
        calls: int = 1,
        rate: float = 10.0,
        rate_period_ms: int = 1000,
        pause_ms: int = 0,
        local_port: int | None = None,
        transport: str = "u1",
        auth: tuple[str, str] | None = None,
        keys: Mapping[str, str] | None = None,
        max_calls: int | None = None,
        timeout: float = 25.0,
        trace_msg: bool = False,
        extra_args: Sequence[str] = (),
    ) -> None:
        self.scenario = scenario_path(scenario)
        self.target = target
        self.service = service
        self.calls = calls
        self.rate = rate
        self.rate_period_ms = rate_period_ms
        self.pause_ms = pause_ms
        self.local_port = local_port or free_port("udp")
        self.transport = transport
        self.auth = auth
        self.keys = {"caller": "sipp", **(keys or {})}
        self.max_calls = max_calls
        self.timeout = timeout
        self.trace_msg = trace_msg
        self.extra_args = list(extra_args)
        self.directory: Path | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self.result: SippResult | None = None
        self._command: list[str] = []
        self._output: IO[bytes] | None = None

    @property
    def contact(self) -> str:
        """Where this SIPp instance receives requests: `127.0.0.1:<local_port>`."""
        return f"{LOOPBACK}:{self.local_port}"

    def _file(self, name: str) -> Path:
        if self.directory is None:
            raise ServiceError("SIPp is not started")
        return self.directory / name

    def command(self) -> list[str]:
        sipp = find_program("sipp", "sip-tester")
        command = [
            sipp,
            *([self.target] if self.target else []),
            "-sf",
            str(self.scenario),
            "-i",
            LOOPBACK,
            "-p",
            str(self.local_port),
            "-bind_local",
            "-t",
            self.transport,
            "-m",
            str(self.calls),
            "-r",
            f"{self.rate:g}",
            "-rp",
            str(self.rate_period_ms),
            "-d",
            str(self.pause_ms),
            "-timeout",
            f"{math.ceil(self.timeout)}s",
            "-timeout_error",
            "-nostdin",
            "-trace_stat",
            "-stf",
            str(self._file("stat.csv")),
            "-fd",
            "1",
            "-trace_err",
            "-error_file",
            str(self._file("errors.log")),
            "-trace_screen",
            "-screen_file",
            str(self._file("screen.log")),
        ]
        if self.service is not None:
            command += ["-s", self.service]
        if self.auth is not None:
            command += ["-au", self.auth[0], "-ap", self.auth[1]]
        for key, value in self.keys.items():
            command += ["-key", key, value]
        if self.max_calls is not None:
            command += ["-l", str(self.max_calls)]
        if self.trace_msg:
            command += ["-trace_msg", "-message_file", str(self._file("messages.log"))]
        return command + self.extra_args

    def start(self) -> Self:
        if self.process is not None:
            raise ServiceError("SIPp is already started")
        find_program("sipp", "sip-tester")
        self.directory = Path(tempfile.mkdtemp(prefix="webphone-sipp-"))
        try:
            self._command = self.command()
            self._output = open(self._file("output.log"), "wb")  # noqa: SIM115 - closed in wait()
            self.process = subprocess.Popen(
                self._command,
                stdin=subprocess.DEVNULL,
                stdout=self._output,
                stderr=subprocess.STDOUT,
                cwd=self.directory,
                start_new_session=True,
            )
        except BaseException:
            self._cleanup()
            raise
        return self

    def wait(self, timeout: float | None = None) -> SippResult:
        """Wait for SIPp to end (at most `timeout`, default its own timeout + 5 s)."""
        if self.result is not None:
            return self.result
        if self.process is None:
            raise ServiceError("SIPp is not started")
        limit = self.timeout + 5.0 if timeout is None else timeout
        try:
            self.process.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            stop_process(self.process)
            result = self._collect()
            raise ServiceError(
                f"SIPp did not end within {limit}s; killed.\n{result.summary()}"
            ) from None
        return self._collect()

    def stop(self) -> SippResult:
        """End SIPp now (SIGTERM by PID, then SIGKILL) and return what it left."""
        if self.result is not None:
            return self.result
        if self.process is None:
            raise ServiceError("SIPp is not started")
        stop_process(self.process)
        return self._collect()

    def run(self) -> SippResult:
        """Start SIPp and wait for it to end."""
        self.start()
        return self.wait()

    def _read(self, name: str) -> str:
        try:
            return self._file(name).read_text(errors="replace")
        except (FileNotFoundError, ServiceError):
            return ""

    def _collect(self) -> SippResult:
        assert self.process is not None
        returncode = self.process.wait()
        if self._output is not None:
            self._output.close()
            self._output = None
        self.result = SippResult(
            command=self._command,
            returncode=returncode,
            stats=parse_stat_csv(self._read("stat.csv")),
            errors=self._read("errors.log"),
            messages=self._read("messages.log"),
            screen=self._read("screen.log"),
            output=self._read("output.log"),
        )
        self._cleanup()
        return self.result

    def _cleanup(self) -> None:
        if self._output is not None:
            self._output.close()
            self._output = None
        if self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)
            self.directory = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self.process is not None and self.result is None:
            result = self.stop()
            if isinstance(exc, Exception):
                exc.add_note(f"sipp ({self.scenario.name}):\n{result.summary()}")
        self._cleanup()
