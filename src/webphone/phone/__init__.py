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
from .media import Direction, Media, MediaError, MediaStats, estimate_mos
from .media_hosts import MEDIA_HOSTS_ENV

__all__ = [
    "MEDIA_HOSTS_ENV",
    "AiortcMedia",
    "Direction",
    "DiscardSink",
    "LevelMeter",
    "Media",
    "MediaError",
    "MediaStats",
    "SilenceSource",
    "Sink",
    "TestPatternSource",
    "ToneSource",
    "WavRecorder",
    "WavSource",
    "estimate_mos",
]
