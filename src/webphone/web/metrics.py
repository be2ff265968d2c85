"""Prometheus metrics at /metrics: browser sessions, registrations, calls, gateway latency.

Gauges (sessions, registrations, calls now) are read from the session registry when scraped,
so they cannot drift; counters and the latency histogram are fed by gateway hooks. Each app has
its own `CollectorRegistry` (two apps in one process, as in tests, do not share numbers).

    webphone_gateway_sessions{state="attached"|"waiting"}    browser sessions alive
    webphone_gateway_registrations                           sessions registered now
    webphone_gateway_active_calls                            calls going on now
    webphone_gateway_calls_total{outcome, sip_status}        calls ended (answered, failed,
                                                             refused by the dial policy)
    webphone_gateway_sessions_opened_total                   sessions opened
    webphone_gateway_operation_seconds{op, result}           time to answer a page's operation
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, InfoMetricFamily, Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .. import __version__
from ..gateway import GatewayHooks, Session, SessionRegistry
from ..phone import Ended, PhoneEvent
from ..store import Database

__all__ = ["GatewayMetrics", "database_status"]

logger = logging.getLogger(__name__)

#: Operation latency buckets, seconds: a ping takes microseconds, a register or a hold one SIP
#: round trip (milliseconds over a LAN, a second over a bad link), an answer waits for ICE.
_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class _Live(Collector):
    """What the registry holds now, read at each scrape."""

    def __init__(self, sessions: SessionRegistry) -> None:
        self.sessions = sessions

    def collect(self) -> Iterator[Metric]:
        sessions = self.sessions
        attached = sessions.attached
        live = GaugeMetricFamily(
            "webphone_gateway_sessions", "Browser sessions alive", labels=["state"]
        )
        live.add_metric(["attached"], attached)
        live.add_metric(["waiting"], len(sessions) - attached)
        yield live
        yield GaugeMetricFamily(
            "webphone_gateway_registrations",
            "Browser sessions whose phone is registered",
            value=sessions.registered,
        )
        yield GaugeMetricFamily(
            "webphone_gateway_active_calls", "Calls going on now", value=sessions.calls()
        )
        info = InfoMetricFamily("webphone_build", "The webphone server's version")
        info.add_metric([], {"version": __version__})
        yield info


class GatewayMetrics(GatewayHooks):
    """The metrics of one app: a gateway hook, and the /metrics route."""

    def __init__(self, sessions: SessionRegistry) -> None:
        self.registry = CollectorRegistry()
        self.registry.register(_Live(sessions))
        ProcessCollector(registry=self.registry)  # memory, CPU, open files: the usual ones
        self.calls = Counter(
            "webphone_gateway_calls",
            "Calls of browser sessions that ended, by outcome and final SIP status",
            ["outcome", "sip_status"],
            registry=self.registry,
        )
        self.opened = Counter(
            "webphone_gateway_sessions_opened",
            "Browser sessions opened",
            registry=self.registry,
        )
        self.operations = Histogram(
            "webphone_gateway_operation_seconds",
            "Seconds from a page's operation to its reply",
            ["op", "result"],
            buckets=_BUCKETS,
            registry=self.registry,
        )
        sessions.hooks.add(self)

    def session_opened(self, session: Session) -> None:
        self.opened.inc()

    def phone_event(self, session: Session, event: PhoneEvent) -> None:
        if isinstance(event, Ended):
            cdr = event.cdr
            outcome = "answered" if cdr.get("answered_at") else "failed"
            self.calls.labels(outcome, _status(cdr.get("sip_status"))).inc()

    def call_refused(self, session: Session, cdr: dict[str, Any], code: str) -> None:
        self.calls.labels("refused", "none").inc()

    def operation_done(self, op: str, seconds: float, error: str | None) -> None:
        self.operations.labels(op, "error" if error else "ok").observe(seconds)

    def routes(self) -> list[Route]:
        return [Route("/metrics", self.endpoint, methods=["GET"])]

    async def endpoint(self, request: Request) -> Response:
        # The Prometheus text format, or OpenMetrics when the scraper asks for it.
        encode, content_type = choose_encoder(request.headers.get("accept", ""))
        return Response(
            encode(self.registry),
            headers={"content-type": content_type, "cache-control": "no-store"},
        )


def _status(status: object) -> str:
    """A label value: the status code, or `none` (no final response: cancelled, cut off)."""
    return str(status) if isinstance(status, int) and 100 <= status <= 699 else "none"


async def database_status(database: Database, timeout: float = 5.0) -> str:
    """`ok`, or why the database cannot be used now (for /healthz)."""

    def probe() -> None:
        with database.engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")

    try:
        await asyncio.wait_for(asyncio.to_thread(probe), timeout)
    except TimeoutError:
        return f"no answer within {timeout:g} s"
    except Exception as e:
        logger.warning("health check: the database failed: %s", e)
        return f"{type(e).__name__}: {str(e).splitlines()[0][:200] if str(e) else ''}"
    return "ok"
