"""`webphone serve`'s settings: flags > WEBPHONE_* > the TOML file > defaults, and errors that
name the setting and where it came from."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from webphone.config_file import ConfigFileError, ServeConfig, load
from webphone.web.logs import LOG_FORMATS

FILE = """
[server]
host = "0.0.0.0"
port = 9000
max_sessions = 50
demo_users = false

[sip]
servers = ["wss://a.example.com", "wss://b.example.com"]
media_hosts = "127.0.0.1"

[log]
format = "json"
sip_trace = true

[database]
url = "postgresql://u:p@db.example.com/webphone"
"""


def flags(*argv: str) -> argparse.Namespace:
    """What `webphone serve ARGV` parses to."""
    from webphone.commands import COMMANDS  # noqa: PLC0415 - the real parser, flags and all

    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers()
    for command in COMMANDS:
        command.add_parser(commands)
    return parser.parse_args(["serve", *argv])


@pytest.fixture
def toml(tmp_path: Path) -> Path:
    path = tmp_path / "webphone.toml"
    path.write_text(FILE)
    return path


def test_defaults_without_anything() -> None:
    config = load(flags(), {})
    assert config == ServeConfig()
    settings = config.settings()
    assert (settings.host, settings.port, settings.demo_users) == ("127.0.0.1", 8080, True)
    assert config.log_format == "human" and config.log_format in LOG_FORMATS


def test_flags_beat_the_environment_which_beats_the_file(toml: Path) -> None:
    config = load(flags("--config", str(toml)), {})
    assert (config.host, config.port, config.max_sessions, config.demo_users) == (
        "0.0.0.0",
        9000,
        50,
        False,
    )
    assert config.sip_servers == ("wss://a.example.com", "wss://b.example.com")
    assert (config.log_format, config.sip_trace, config.media_hosts) == (
        "json",
        True,
        ("127.0.0.1",),
    )
    assert config.database_url == "postgresql://u:p@db.example.com/webphone"
    assert config.source("port") == f"{toml}: [server] port"

    env = {"WEBPHONE_PORT": "9100", "WEBPHONE_LOG_FORMAT": "human", "WEBPHONE_SIP_TRACE": "no"}
    config = load(flags("--config", str(toml)), env)
    assert (config.port, config.log_format, config.sip_trace) == (9100, "human", False)
    assert (config.host, config.source("port")) == ("0.0.0.0", "WEBPHONE_PORT")

    config = load(flags("--config", str(toml), "--port", "9200", "--sip-trace"), env)
    assert (config.port, config.sip_trace, config.source("port")) == (9200, True, "--port")
    via_env = load(flags(), {"WEBPHONE_CONFIG": str(toml)})  # the file named by the environment
    assert via_env.port == 9000
    settings = load(flags("--config", str(toml)), env).settings()
    assert (settings.port, settings.max_sessions, settings.demo_users) == (9100, 50, False)


@pytest.mark.parametrize(
    ("text", "env", "argv", "message"),
    [
        ("[server]\nport = 'x'\n", {}, (), "[server] port = 'x': expected a port number"),
        ("[server]\nport = 70000\n", {}, (), "[server] port = 70000: expected a port number"),
        ("[server]\nprot = 80\n", {}, (), "[server] prot: no such setting"),
        ("[sip]\nservers = 'http://x'\n", {}, (), "[sip] servers = 'http://x': 'http://x' is"),
        ("[sip]\nudp = 'nowhere'\n", {}, (), "[sip] udp = 'nowhere': expected HOST:PORT"),
        ("[log]\nformat = 'xml'\n", {}, (), "[log] format = 'xml': expected one of human, json"),
        ("port = 80\n", {}, (), "port = 80: settings go in [sections]"),
        ("[server\n", {}, (), "not TOML"),
        ("", {"WEBPHONE_PORT": "x"}, (), "WEBPHONE_PORT='x': expected a port number"),
        ("", {"WEBPHONE_SIP_TRACE": "perhaps"}, (), "WEBPHONE_SIP_TRACE='perhaps': expected"),
        ("", {"WEBPHONE_MEDIA_HOSTS": "nas"}, (), "WEBPHONE_MEDIA_HOSTS='nas': 'nas' is not"),
        ("", {"WEBPHONE_TICKET_SECRET": "short"}, (), "at least 32 characters"),
        ("", {}, ("--port", "70000"), "--port 70000: expected a port number"),
        ("", {}, ("--max-sessions", "0"), "--max-sessions '0': expected a whole number"),
        ("", {}, ("--tls-cert", "/no/such.pem"), "--tls-cert '/no/such.pem': no such file"),
    ],
)
def test_errors_name_the_setting_and_its_source(
    tmp_path: Path, text: str, env: dict[str, str], argv: tuple[str, ...], message: str
) -> None:
    path = tmp_path / "webphone.toml"
    path.write_text(text)
    with pytest.raises(ConfigFileError) as caught:
        load(flags("--config", str(path), *argv), env)
    assert message in str(caught.value)
    if text and not env and not argv:
        assert str(caught.value).startswith(str(path))


def test_a_check_across_settings_names_where_the_value_came_from(tmp_path: Path) -> None:
    cert = tmp_path / "cert.pem"
    cert.write_text("not checked here")
    config = load(flags(), {"WEBPHONE_TLS_CERT": str(cert)})
    with pytest.raises(ConfigFileError, match=r"^tls_key=None: a certificate and its key go"):
        config.settings()
    config = load(flags(), {"WEBPHONE_HOST": "a b"})
    with pytest.raises(ConfigFileError, match=r"^WEBPHONE_HOST: host='a b': expected an address"):
        config.settings()
    with pytest.raises(ConfigFileError, match="no such file"):
        load(flags("--config", str(tmp_path / "missing.toml")), {})


def test_serve_stops_at_once_with_the_message(tmp_path: Path) -> None:
    path = tmp_path / "webphone.toml"
    path.write_text("[server]\nport = 'x'\n")
    result = subprocess.run(
        [sys.executable, "-m", "webphone.cli", "serve", "--config", str(path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    assert result.returncode == 2
    assert (
        result.stderr
        == f"webphone serve: {path}: [server] port = 'x': expected a port number (0 to 65535)\n"
    )
