"""The Phone layer: a SIP user agent and the media it drives (see DESIGN.md, layer 3)."""

from .aiortc_media import AiortcMedia, TestPatternSource
from .audio import (
    DiscardSink,
    LevelMeter,
    SilenceSource,
    Sink,
    ToneSource,
    WavRecorder,
    WavSource,
)
from .call import Call, CallState
from .cdr import Cdr
from .config import ConfigError, PhoneConfig
from .events import (
    Answered,
    ConnectionChanged,
    DtmfReceived,
    Ended,
    Error,
    HoldChanged,
    PhoneEvent,
    Registered,
    RingingIn,
    RingingOut,
    Unregistered,
)
from .media import Direction, Media, MediaError, MediaStats, estimate_mos
from .media_hosts import MEDIA_HOSTS_ENV
from .phone import Phone, PhoneError

__all__ = [
    "MEDIA_HOSTS_ENV",
    "AiortcMedia",
    "Answered",
    "Call",
    "CallState",
    "Cdr",
    "ConfigError",
    "ConnectionChanged",
    "Direction",
    "DiscardSink",
    "DtmfReceived",
    "Ended",
    "Error",
    "HoldChanged",
    "LevelMeter",
    "Media",
    "MediaError",
    "MediaStats",
    "Phone",
    "PhoneConfig",
    "PhoneError",
    "PhoneEvent",
    "Registered",
    "RingingIn",
    "RingingOut",
    "SilenceSource",
    "Sink",
    "TestPatternSource",
    "ToneSource",
    "Unregistered",
    "WavRecorder",
    "WavSource",
    "estimate_mos",
]
