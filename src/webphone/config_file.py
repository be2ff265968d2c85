"""The settings of `webphone serve` from flags, the environment and a TOML file.

Precedence: a flag given on the command line, else its `WEBPHONE_*` variable, else the file
(`--config FILE`, or `$WEBPHONE_CONFIG`), else the default. Every value is checked where it
comes in, and an error names the setting and where it came from:

    webphone.toml: [server] port = 'x': expected a port number
    WEBPHONE_PORT='x': expected a port number
    --port '70000': expected a port number (0 to 65535)

The settings, their sections and variables are the table `OPTIONS` (docs/operations.md lists
them). Flags are `serve`'s own (commands/serve.py); a flag left out is None, so that a default
never hides a variable or the file.
"""

from __future__ import annotations

import argparse
import ipaddress
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .phone.config import ConfigError as PhoneConfigError
from .phone.config import parse_servers
from .phone.media_hosts import parse_hosts
from .sipserver.config import Address, parse_hostport
from .web import Settings
from .web.logs import LOG_FORMATS, LOG_LEVELS, LogFormat

__all__ = ["CONFIG_ENV", "OPTIONS", "ConfigFileError", "Option", "ServeConfig", "load"]

#: The variable naming the TOML file when `--config` is not given.
CONFIG_ENV = "WEBPHONE_CONFIG"

Parse = Callable[[object], object]


class ConfigFileError(ValueError):
    """A setting that cannot be used; the message names it and its source."""


@dataclass(frozen=True, slots=True)
class ServeConfig:
    """What `webphone serve` runs with; `sources` says where each value given came from."""

    host: str = "127.0.0.1"
    port: int = 8080
    #: Where the data lives (None: $WEBPHONE_DATA_DIR, else ~/.local/share/webphone).
    data_dir: Path | None = None
    #: A PostgreSQL URL instead of the SQLite file in the data directory.
    database_url: str | None = None
    #: External SIP-over-WebSocket servers, in failover order; empty: the embedded server.
    sip_servers: tuple[str, ...] = ()
    #: Demo SIP users alice and bob; None: only when listening on loopback.
    demo_users: bool | None = None
    udp: str | None = None
    tcp: str | None = None
    media_hosts: tuple[str, ...] | None = None
    tls_cert: Path | None = None
    tls_key: Path | None = None
    grace_period: float = 30.0
    max_sessions: int = 1000
    log_format: LogFormat = "human"
    log_level: str = "info"
    sip_trace: bool = False
    #: The secret that signs session tickets; None: the one in the data directory.
    ticket_secret: str | None = None
    sources: Mapping[str, str] = field(default_factory=dict)

    def source(self, name: str) -> str:
        """Where `name` came from, for an error message (`default` when nowhere)."""
        return self.sources.get(name, "default")

    def settings(self) -> Settings:
        """The web server's `Settings`; a check across settings (a certificate without its
        key) fails with `ConfigFileError` naming where the value came from."""
        try:
            return Settings(
                host=self.host,
                port=self.port,
                data_dir=self.data_dir,
                sip_servers=self.sip_servers,
                demo_users=_is_loopback(self.host) if self.demo_users is None else self.demo_users,
                grace_period=self.grace_period,
                max_sessions=self.max_sessions,
                tls_cert=self.tls_cert,
                tls_key=self.tls_key,
            )
        except PhoneConfigError as e:
            where = self.sources.get(e.field)
            raise ConfigFileError(f"{where}: {e}" if where else str(e)) from None

    def address(self, name: str) -> Address | None:
        """The `udp` or `tcp` listening address, checked when loaded."""
        text = getattr(self, name)
        return parse_hostport(text, name) if text else None


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _text(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("expected text")
    return value.strip()


def _integer(value: object, low: int, high: int, expected: str) -> int:
    """An integer (in TOML) or its digits (a variable, a flag) from `low` to `high`."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"expected {expected}")
    return value


def _port(value: object) -> int:
    return _integer(value, 0, 65535, "a port number (0 to 65535)")


def _whole(value: object) -> int:
    return _integer(value, 1, 10**9, "a whole number >= 1")


def _seconds(value: object) -> float:
    try:
        seconds = float(value) if isinstance(value, str | int | float) else -1.0
    except ValueError:
        seconds = -1.0
    if isinstance(value, bool) or not 0 <= seconds < 1e9:
        raise ValueError("expected a number of seconds >= 0")
    return seconds


def _flag(value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError("expected true or false")


def _path(value: object) -> Path:
    return Path(_text(value)).expanduser()


def _file(value: object) -> Path:
    path = _path(value)
    if not path.is_file():
        raise ValueError("no such file")
    return path


def _servers(value: object) -> tuple[str, ...]:
    if not isinstance(value, str | list) or not all(isinstance(v, str) for v in value):
        raise ValueError("expected wss:// URLs, comma-separated or a list")
    servers = parse_servers(value)
    for url in servers:
        if not url.startswith(("ws://", "wss://")):
            raise ValueError(f"{url!r} is not a ws:// or wss:// URL")
    return servers


def _hostport(value: object) -> str:
    text = _text(value)
    parse_hostport(text, "address")  # its ConfigError says what is wrong
    return text


def _hosts(value: object) -> tuple[str, ...]:
    if not isinstance(value, str | list):
        raise ValueError("expected IP addresses, comma-separated or a list")
    return parse_hosts(value, source="address")


def _choice(choices: tuple[str, ...]) -> Parse:
    def check(value: object) -> str:
        if not isinstance(value, str) or value.strip().lower() not in choices:
            raise ValueError(f"expected one of {', '.join(choices)}")
        return value.strip().lower()

    return check


def _secret(value: object) -> str:
    text = _text(value)
    if len(text) < 32:
        raise ValueError("expected at least 32 characters")
    return text


@dataclass(frozen=True, slots=True)
class Option:
    """One setting: its place in the file, its variable and flag, and its check."""

    name: str
    section: str
    parse: Parse
    #: The `serve` argument's attribute (None: no flag, as for secrets: `ps` shows flags).
    dest: str | None
    flag: str | None = None

    @property
    def env(self) -> str:
        return f"WEBPHONE_{self.name.upper()}"

    @property
    def key(self) -> str:
        """The key in its [section]: the name without the section's prefix."""
        return self.name.removeprefix(f"{self.section}_")

    @property
    def flag_name(self) -> str:
        return self.flag or "--" + self.name.replace("_", "-")


OPTIONS: tuple[Option, ...] = (
    Option("host", "server", _text, "host"),
    Option("port", "server", _port, "port"),
    Option("data_dir", "server", _path, "data_dir"),
    Option("tls_cert", "server", _file, "tls_cert"),
    Option("tls_key", "server", _file, "tls_key"),
    Option("demo_users", "server", _flag, "demo_users"),
    Option("grace_period", "server", _seconds, "grace_period"),
    Option("max_sessions", "server", _whole, "max_sessions"),
    Option("database_url", "database", _text, None),
    Option("sip_servers", "sip", _servers, "sip_server", "--sip-server"),
    Option("udp", "sip", _hostport, "udp"),
    Option("tcp", "sip", _hostport, "tcp"),
    Option("media_hosts", "sip", _hosts, "media_host", "--media-host"),
    Option("log_format", "log", _choice(LOG_FORMATS), "log_format"),
    Option("log_level", "log", _choice(LOG_LEVELS), "log_level"),
    Option("sip_trace", "log", _flag, "sip_trace"),
    Option("ticket_secret", "tickets", _secret, None),
)
_BY_PLACE = {(o.section, o.key): o for o in OPTIONS}


def _check(option: Option, value: object, where: str) -> object:
    try:
        return option.parse(value)
    except ValueError as e:
        why = str(e).removeprefix("address: ")
        raise ConfigFileError(f"{where}: {why}") from None


def read_file(path: Path) -> dict[str, tuple[object, str]]:
    """The file's settings: name -> (value checked, where it is)."""
    try:
        with path.open("rb") as file:
            document = tomllib.load(file)
    except FileNotFoundError:
        raise ConfigFileError(f"{path}: no such file") from None
    except OSError as e:
        raise ConfigFileError(f"{path}: {e.strerror}") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigFileError(f"{path}: not TOML: {e}") from None
    found: dict[str, tuple[object, str]] = {}
    for section, table in document.items():
        if not isinstance(table, dict):
            raise ConfigFileError(f"{path}: {section} = {table!r}: settings go in [sections]")
        for key, value in table.items():
            option = _BY_PLACE.get((section, key))
            where = f"{path}: [{section}] {key}"
            if option is None:
                raise ConfigFileError(f"{where}: no such setting (docs/operations.md)")
            found[option.name] = (_check(option, value, f"{where} = {value!r}"), where)
    return found


def load(
    args: argparse.Namespace, environ: Mapping[str, str], config: str | None = None
) -> ServeConfig:
    """flags > environment > file > defaults; `ConfigFileError` names a bad setting."""
    path = config or getattr(args, "config", None) or environ.get(CONFIG_ENV)
    values: dict[str, tuple[object, str]] = read_file(Path(path).expanduser()) if path else {}
    for option in OPTIONS:
        text = environ.get(option.env)
        if text is not None and text.strip():
            where = f"{option.env}={text!r}"
            values[option.name] = (_check(option, text, where), option.env)
        given = getattr(args, option.dest, None) if option.dest else None
        if given is not None:
            where = f"{option.flag_name} {given!r}"
            values[option.name] = (_check(option, given, where), option.flag_name)
    checked: dict[str, Any] = {name: value for name, (value, _) in values.items()}
    return ServeConfig(**checked, sources={name: where for name, (_, where) in values.items()})


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """`--config` and the flags of the settings `serve` did not have before; every flag's
    default becomes None, so that a flag left out lets the variable or the file speak."""
    parser.add_argument("--config", metavar="FILE", help=f"a TOML file of settings ({CONFIG_ENV})")
    parser.add_argument("--grace-period", help="seconds a session outlives its page (30)")
    parser.add_argument("--max-sessions", help="browser sessions at once (1000)")
    parser.add_argument("--log-format", choices=LOG_FORMATS, help="human (default) or json")
    parser.add_argument("--log-level", choices=LOG_LEVELS, help="info (default), debug, ...")
    parser.add_argument(
        "--sip-trace",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="log every SIP message sent and received",
    )
    parser.set_defaults(**{o.dest: None for o in OPTIONS if o.dest})
