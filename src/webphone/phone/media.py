"""The Media interface the Phone drives: SDP offer/answer, hold, mute, DTMF, quality stats.

The Phone (a SIP user agent) never touches RTP. It asks its `Media` for SDP to put in an INVITE,
200 OK or re-INVITE, hands it the far end's SDP, and reads `stats()` for the CDR. Two
implementations exist: `AiortcMedia` (headless, in-process) and `BrowserMedia` (the gateway
asks the page). Hold is plain SDP offer/answer (RFC 3264 §8.4): the holding side offers
`direction="sendonly"` (or "inactive"), the held side answers "recvonly" (or "inactive").
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass
from typing import Any, Literal

__all__ = ["Direction", "Media", "MediaError", "MediaStats", "estimate_mos"]

#: An SDP media direction attribute (RFC 3264 §5.1).
Direction = Literal["sendrecv", "sendonly", "recvonly", "inactive"]
DIRECTIONS: tuple[Direction, ...] = ("sendrecv", "sendonly", "recvonly", "inactive")


class MediaError(Exception):
    """The far end's SDP cannot be used (unparsable, no audio, no common codec, wrong state).

    The Phone answers such an offer 488 Not Acceptable Here (RFC 3261 §21.4.26).
    """


@dataclass(frozen=True, slots=True)
class MediaStats:
    """A snapshot of the call's audio stream quality, for the CDR and for tests.

    Counters are for the audio stream only; None means "not known (yet)".
    """

    #: The codec being sent, as in SDP rtpmap: "opus/48000/2", "PCMU/8000".
    codec: str | None = None
    #: RTP packets/payload bytes sent on the audio stream.
    packets_sent: int = 0
    bytes_sent: int = 0
    #: RTP packets received; bytes as the far end reports sending them (RTCP SR octet count).
    packets_received: int = 0
    bytes_received: int = 0
    #: Packets we expected but did not receive (RFC 3550 §6.4.1 cumulative loss).
    packets_lost: int = 0
    #: Interarrival jitter of the received stream (RFC 3550 §6.4.1), in milliseconds.
    jitter_ms: float | None = None
    #: Round-trip time from RTCP sender/receiver reports (RFC 3550 §6.4.1 LSR/DLSR).
    rtt_ms: float | None = None
    #: Estimated mean opinion score, 1.0-4.5 (`estimate_mos`).
    mos: float | None = None
    #: The selected ICE candidate pair, "IP:port" on each side.
    local_address: str | None = None
    remote_address: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (field names as keys)."""
        return asdict(self)


def estimate_mos(loss_fraction: float, jitter_ms: float, rtt_ms: float | None) -> float:
    """Mean opinion score from network figures, by a simplified ITU-T G.107 E-model.

    R = 93.2 - Id - Ie,eff (G.107 defaults: R0 - Is = 93.2, A = 0), where
    - Id, the delay impairment, uses the one-way delay d = rtt/2 + a jitter buffer of
      2 x jitter + 20 ms packetisation: Id = 0.024 d + 0.11 (d - 177.3) H(d - 177.3);
    - Ie,eff = Ie + (95 - Ie) Ppl / (Ppl + Bpl) for random loss, taking Ie = 0 and Bpl = 25.1,
      the values of G.711 with packet-loss concealment (G.113 App. I): no codec-specific
      figures exist for Opus, so every codec is scored as G.711 with PLC.
    MOS = 1 + 0.035 R + 7e-6 R (R - 60) (100 - R), clamped to 1.0-4.5 (G.107 Annex B).
    An unknown rtt counts as 0.
    """
    delay = (rtt_ms or 0.0) / 2 + 2 * jitter_ms + 20.0
    impairment_delay = 0.024 * delay + (0.11 * (delay - 177.3) if delay > 177.3 else 0.0)
    loss_percent = 100.0 * min(max(loss_fraction, 0.0), 1.0)
    impairment_loss = 95.0 * loss_percent / (loss_percent + 25.1)
    r = 93.2 - impairment_delay - impairment_loss
    if r <= 0:
        return 1.0
    if r >= 100:
        return 4.5
    mos = 1 + 0.035 * r + 7e-6 * r * (r - 60) * (100 - r)
    return round(min(max(mos, 1.0), 4.5), 2)


def loss_fraction(lost: int, received: int) -> float:
    """Lost / expected, 0.0 when nothing was expected."""
    expected = lost + received
    return lost / expected if expected > 0 and lost > 0 else 0.0


class Media(ABC):
    """What the Phone needs from a media endpoint. One instance serves one call.

    SDP strings are complete session descriptions with ICE candidates included
    (no trickle ICE: SIP carries one offer and one answer).
    """

    @abstractmethod
    async def create_offer(self, direction: Direction = "sendrecv") -> str:
        """An SDP offer for an INVITE or re-INVITE; `direction` "sendonly" puts the far end
        on hold, "sendrecv" takes it off. Follow with `set_answer()`."""

    @abstractmethod
    async def create_answer(self, offer: str, direction: Direction = "sendrecv") -> str:
        """Apply the far end's offer (first INVITE or a re-INVITE, renegotiating the same
        session) and return our answer. The answer's direction is `direction` narrowed by the
        offer's (a "sendonly" offer gets "recvonly"). Raises `MediaError` for a bad offer."""

    @abstractmethod
    async def set_answer(self, answer: str) -> None:
        """Apply the far end's answer to our last offer. Raises `MediaError` if unusable."""

    @abstractmethod
    def mute(self, muted: bool = True) -> None:
        """Send silence instead of the source while muted; packets keep flowing, so the far
        end sees no gap (no SDP change, unlike hold)."""

    @property
    @abstractmethod
    def muted(self) -> bool:
        """True while `mute(True)` is in force."""

    @property
    @abstractmethod
    def direction(self) -> Direction | None:
        """The negotiated audio direction from our side (None before negotiation)."""

    @abstractmethod
    async def send_dtmf(self, digits: str) -> bool:
        """Send `digits` as RFC 4733 telephone-events. Returns False when telephone-event
        was not negotiated: the Phone then sends SIP INFO (application/dtmf-relay)."""

    @abstractmethod
    async def refresh_stats(self) -> MediaStats:
        """Gather fresh figures, update the snapshot `stats()` returns, and return it."""

    @abstractmethod
    def stats(self) -> MediaStats:
        """The latest snapshot (from `refresh_stats()`), cheap to call at hangup."""

    @abstractmethod
    async def close(self) -> None:
        """Stop all media and release sockets and tasks. Safe to call twice."""


def format_address(host: str | None, port: int | None) -> str | None:
    """ "IP:port", with brackets for IPv6; None if unknown."""
    if host is None or port is None:
        return None
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def round_ms(value: float | None) -> float | None:
    """Round a millisecond figure for display; None and NaN stay unknown."""
    if value is None or math.isnan(value):
        return None
    return round(value, 2)
