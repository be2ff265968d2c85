"""The dialogs of built-in services as the core sees them: the peer, the pending transactions.

The core acts as the user agent of a service at the SIP level; this keeps what it must remember
per service dialog (RFC 3261 §12) and queues the `ServiceEvent`s for the asyncio side.
"""

from __future__ import annotations

from collections import deque

from webphone.sip import Request, Response
from webphone.sip.builders import make_response

from .events import (
    DialogKey,
    ServiceEvent,
    ServiceInviteReceived,
    ServicePeerGone,
    ServiceResponseReceived,
)
from .routing import Target


class ServiceDialogs:
    """Service dialogs by (Call-ID, our tag), their INVITE transactions and their requests."""

    def __init__(self) -> None:
        self.events: deque[ServiceEvent] = deque()
        self._peers: dict[DialogKey, Target] = {}
        self._invites: dict[str, DialogKey] = {}  # INVITE server tid -> dialog
        self._clients: dict[str, tuple[DialogKey, Request]] = {}  # our request's tid -> ...
        self._by_flow: dict[str, set[DialogKey]] = {}

    def __contains__(self, key: object) -> bool:
        return key in self._peers

    def __len__(self) -> int:
        return len(self._peers)

    def start(self, key: DialogKey, service: str, tid: str, invite: Request, peer: Target) -> None:
        """A new call to `service`: report it, and route the dialog's requests to it."""
        self._peers[key] = peer
        self._invites[tid] = key
        if peer.flow_id is not None:
            self._by_flow.setdefault(peer.flow_id, set()).add(key)
        self.events.append(ServiceInviteReceived(key, service, tid, invite, peer))

    def of_invite(self, tid: str) -> DialogKey | None:
        """The dialog whose INVITE is in the server transaction `tid` (for a CANCEL)."""
        return self._invites.get(tid)

    def peer(self, key: DialogKey) -> Target:
        return self._peers[key]

    def sent(self, tid: str, key: DialogKey, request: Request) -> None:
        """A request the service sent in its dialog; its final response becomes an event."""
        self._clients[tid] = (key, request)

    def on_response(self, tid: str, response: Response) -> bool:
        entry = self._clients.get(tid)
        if entry is None:
            return False
        if response.status >= 200:
            self.events.append(ServiceResponseReceived(entry[0], tid, response))
        return True

    def on_failure(self, tid: str, status: int, reason: str, tag: str) -> None:
        """Timeout or transport error of a service's request: as if `status` came (§8.1.3.1)."""
        entry = self._clients.get(tid)
        if entry is not None:
            response = make_response(entry[1], status, reason, to_tag=tag)
            self.events.append(ServiceResponseReceived(entry[0], tid, response))

    def on_terminated(self, tid: str) -> str | None:
        """Forget a finished transaction; gives the branch of a service request to release."""
        self._invites.pop(tid, None)
        entry = self._clients.pop(tid, None)
        return None if entry is None else entry[1].via.branch or ""

    def flow_closed(self, flow_id: str) -> None:
        for key in self._by_flow.pop(flow_id, ()):
            self.events.append(ServicePeerGone(key, f"flow {flow_id} closed"))

    def end(self, key: DialogKey) -> None:
        """The call is over: requests in the dialog now get 481 (§12.2.2)."""
        peer = self._peers.pop(key, None)
        if peer is not None and peer.flow_id is not None:
            keys = self._by_flow.get(peer.flow_id)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self._by_flow[peer.flow_id]
