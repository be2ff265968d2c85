"""Settings: defaults, one check at the boundary, errors that name the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from webphone.web import ConfigError, Settings


def test_defaults_use_the_embedded_server() -> None:
    settings = Settings()
    assert (settings.host, settings.port, settings.sip_servers) == ("127.0.0.1", 8080, ())
    assert settings.embedded_sip_url == "ws://127.0.0.1:8080/sip"
    gateway = settings.gateway_config((settings.embedded_sip_url,))
    assert gateway.default_servers == ("ws://127.0.0.1:8080/sip",)
    assert gateway.grace_period == 30.0


def test_external_servers_win_over_the_embedded_one() -> None:
    settings = Settings(sip_servers="wss://a.example.com, wss://b.example.com")  # type: ignore[arg-type]
    assert settings.sip_servers == ("wss://a.example.com", "wss://b.example.com")
    gateway = settings.gateway_config(("ws://127.0.0.1:8080/sip",))
    assert gateway.default_servers == settings.sip_servers


@pytest.mark.parametrize(
    ("host", "url"),
    [("0.0.0.0", "ws://127.0.0.1:5/sip"), ("::", "ws://[::1]:5/sip"), ("::1", "ws://[::1]:5/sip")],
)
def test_the_embedded_url_is_reachable_from_here(host: str, url: str) -> None:
    assert Settings(host=host, port=5).embedded_sip_url == url


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"host": ""}, "host"),
        ({"port": 70000}, "port"),
        ({"port": "80"}, "port"),
        ({"port": True}, "port"),
        ({"sip_servers": ("http://example.com",)}, "sip_servers"),
        ({"grace_period": -1}, "grace_period"),
        ({"max_sessions": 0}, "max_sessions"),
        ({"static_dir": "/no/such/dir"}, "static_dir"),
        ({"tls_cert": "/no/such/cert.pem"}, "tls_key"),
        ({"tls_cert": "/no/such/cert.pem", "tls_key": "/no/such/key.pem"}, "tls_cert"),
    ],
)
def test_a_bad_setting_is_named(changes: dict[str, object], field: str) -> None:
    with pytest.raises(ConfigError) as raised:
        Settings(**changes)  # type: ignore[arg-type]
    assert raised.value.field == field
    assert str(raised.value).startswith(f"{field}=")


def test_paths_and_tls(tmp_path: Path) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert.write_text("x")
    key.write_text("x")
    settings = Settings(tls_cert=cert, tls_key=key, data_dir="~/data", static_dir=tmp_path)  # type: ignore[arg-type]
    assert settings.embedded_sip_url.startswith("wss://")
    assert settings.data_dir == Path.home() / "data"
    assert settings.replace(port=9).port == 9
