"""Runs the calls of built-in services: the `ServiceHost` behind every `ServiceCall`.

The core reports service events; this turns each new call into a `ServiceCall` and a task
running the service's `handle_invite`, routes the dialog's later requests and responses to
it, and sends what the call answers through the core.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from webphone.sip import InvalidStateError, Request, Response, SipUri
from webphone.sip.builders import UserAgentConfig, make_response

from .core import ServerCore
from .events import (
    DialogKey,
    ServiceAckReceived,
    ServiceCancelled,
    ServiceEvent,
    ServiceInviteReceived,
    ServicePeerGone,
    ServiceRequestReceived,
    ServiceResponseReceived,
)
from .service_call import ServiceCall
from .services import Service, ServiceRegistry

logger = logging.getLogger(__name__)


class ServiceRunner:
    """The live calls of built-in services, by dialog."""

    def __init__(
        self,
        core: ServerCore,
        services: ServiceRegistry,
        now: Callable[[], float],
        flush: Callable[[], None],
        spawn: Callable[[Coroutine[Any, Any, None]], None],
    ) -> None:
        self._core = core
        self._services = services
        self._now = now
        self._flush = flush
        self._spawn = spawn
        self._calls: dict[DialogKey, ServiceCall] = {}

    def __len__(self) -> int:
        return len(self._calls)

    def close(self) -> None:
        for call in list(self._calls.values()):
            call.close()

    def on_event(self, event: ServiceEvent) -> None:
        if isinstance(event, ServiceInviteReceived):
            self._start_call(event)
            return
        call = self._calls.get(event.key)
        if isinstance(event, ServiceRequestReceived):
            self._in_dialog(call, event.transaction_id, event.request)
        elif call is None:
            return
        elif isinstance(event, ServiceAckReceived):
            call.on_ack(event.request)
        elif isinstance(event, ServiceCancelled):
            call.on_cancel()
        elif isinstance(event, ServiceResponseReceived):
            call.on_response(event.transaction_id, event.response)
        elif isinstance(event, ServicePeerGone):
            call.on_peer_gone(event.reason)

    def _start_call(self, event: ServiceInviteReceived) -> None:
        local_host, local_port = self._core.local_for(event.peer)
        host = f"[{local_host}]" if ":" in local_host else local_host
        transport = event.peer.transport
        name = "ws" if transport in ("WS", "WSS") else transport.lower()  # RFC 7118 §5.2
        params = () if transport == "UDP" else (("transport", name),)
        domain = self._core.config.domain or host
        config = UserAgentConfig(
            aor=SipUri(domain, user=event.service),
            contact=SipUri(host, user=event.service, port=local_port, params=params),
            via_host=host,
            via_port=local_port,
            via_transport=transport,
            outbound=False,
            rport=False,
            user_agent="webphone-sipserver",
        )
        call = ServiceCall(
            self, event.key, event.service, event.request, event.transaction_id, event.peer,
            config, self._core.ids,
        )  # fmt: skip
        self._calls[event.key] = call
        service = self._services.get(event.service)
        if service is None:  # removed from the registry since the core looked
            call.reject(404)
            return
        self._spawn(self._run_call(service, call))

    async def _run_call(self, service: Service, call: ServiceCall) -> None:
        try:
            await service.handle_invite(call)
        except Exception:
            logger.exception("service %s failed on call %s", service.name, call.key[0])
        if not call.final_sent:
            call.respond(500, "Server Internal Error (the service gave no answer)")

    def _in_dialog(self, call: ServiceCall | None, tid: str, request: Request) -> None:
        if call is None:
            self._reply_now(tid, request, 481)
            return
        status = call.check_request(request)
        if status is not None:
            call.reply(tid, request, status)
        elif request.method == "BYE":
            call.on_bye(tid, request)
        else:
            service = self._services.get(call.service)
            if service is not None:
                self._spawn(self._run_request(service, call, tid, request))

    async def _run_request(
        self, service: Service, call: ServiceCall, tid: str, request: Request
    ) -> None:
        try:
            reply = await service.handle_request(call, request)
            call.reply(tid, request, reply.status, reply.reason, body=reply.body,
                       content_type=reply.content_type, headers=reply.headers)  # fmt: skip
        except Exception:
            logger.exception("service %s failed on %s", service.name, request.method)
            self._reply_now(tid, request, 500)

    def _reply_now(self, tid: str, request: Request, status: int) -> None:
        with contextlib.suppress(InvalidStateError):
            self.respond(None, tid, make_response(request, status))

    def respond(self, call: ServiceCall | None, transaction_id: str, response: Response) -> None:
        self._core.respond(transaction_id, response, self._now())
        self._flush()

    def send_request(self, call: ServiceCall, request: Request) -> str:
        tid = self._core.send_in_dialog(call.key, request, self._now())
        self._flush()
        return tid

    def forget(self, call: ServiceCall) -> None:
        self._calls.pop(call.key, None)
        self._core.end_dialog(call.key)
