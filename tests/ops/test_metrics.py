"""/metrics in the Prometheus text format, and /healthz with its database check."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from api.conftest import get
from webphone.gateway import DialPolicy, SavedComponent, SessionRegistry
from webphone.phone import Ended, PhoneConfig, Registered
from webphone.store import DATA_DIR_ENV, DATABASE_URL_ENV, Database
from webphone.web import Settings, create_app

SERVER = "ws://127.0.0.1:9/sip"  # never connected to


@pytest.fixture(autouse=True)
def _no_database_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    monkeypatch.delenv(DATA_DIR_ENV, raising=False)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    with Database.open(tmp_path) as database:
        yield database


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of an exposition: (name, labels) -> value."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def test_the_exposition_has_the_gateways_metrics(tmp_path: Path, db: Database) -> None:
    app = create_app(Settings(data_dir=tmp_path, sip_servers=(SERVER,)), database=db)
    sessions: SessionRegistry = app.state.sessions
    plain = sessions.open(None)
    component = SavedComponent("sales", PhoneConfig(ws_servers=(SERVER,)), DialPolicy())
    sessions.open(None, component)
    # What a registration, a call's end, a refusal and an operation tell the hooks.
    sessions.hooks.phone_event(plain, Registered(SERVER, 600))
    plain._on_event(Registered(SERVER, 600))
    cdr = {"call_id": "c1", "direction": "outgoing", "answered_at": "x", "sip_status": 200}
    sessions.hooks.phone_event(plain, Ended("c1", cdr))
    sessions.hooks.phone_event(plain, Ended("c2", {"sip_status": 486}))
    sessions.hooks.call_refused(plain, {}, "forbidden_destination")
    sessions.hooks.operation_done("register", 0.02, None)
    sessions.hooks.operation_done("make_call", 0.3, "forbidden_destination")

    reply = await get(app, "/metrics")
    assert reply.status == 200
    assert reply.headers["content-type"].startswith("text/plain; version=0.0.4")
    text = reply.body.decode()
    found = samples(text)
    assert found[("webphone_gateway_sessions", (("state", "attached"),))] == 0
    assert found[("webphone_gateway_sessions", (("state", "waiting"),))] == 2
    assert found[("webphone_gateway_registrations", ())] == 1
    assert found[("webphone_gateway_active_calls", ())] == 0
    assert found[("webphone_gateway_sessions_opened_total", ())] == 2
    calls = "webphone_gateway_calls_total"
    assert found[(calls, (("outcome", "answered"), ("sip_status", "200")))] == 1
    assert found[(calls, (("outcome", "failed"), ("sip_status", "486")))] == 1
    assert found[(calls, (("outcome", "refused"), ("sip_status", "none")))] == 1
    latency = "webphone_gateway_operation_seconds_count"
    assert found[(latency, (("op", "register"), ("result", "ok")))] == 1
    assert found[(latency, (("op", "make_call"), ("result", "error")))] == 1
    assert "webphone_build_info" in text and "process_resident_memory_bytes" in text

    accept = {"accept": "application/openmetrics-text; version=1.0.0"}
    openmetrics = await get(app, "/metrics", headers=accept)
    assert openmetrics.body.rstrip().endswith(b"# EOF")


async def test_healthz_checks_the_database(tmp_path: Path, db: Database) -> None:
    app = create_app(Settings(data_dir=tmp_path), database=db)
    healthy = (await get(app, "/healthz")).json()
    assert (healthy["status"], healthy["database"]) == ("ok", "ok")
    db.close()
    (tmp_path / "webphone.db").unlink()
    (tmp_path / "webphone.db").mkdir()  # the file is gone: nothing can open it
    sick = await get(app, "/healthz")
    assert sick.status == 503
    assert sick.json()["status"] == "unavailable" and sick.json()["database"] != "ok"
