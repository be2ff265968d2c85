"""Test phones: a Phone whose calls send a tone and measure what they receive."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from webphone.phone import AiortcMedia, LevelMeter, Phone

USERS = {"alice": "alice-secret", "bob": "bob-secret", "carol": "carol-secret"}
TONES = {"alice": 440.0, "bob": 880.0, "carol": 660.0}


@dataclass
class PhoneUnderTest:
    """A Phone whose calls send a tone and measure what they receive."""

    phone: Phone
    name: str
    meters: list[LevelMeter] = field(default_factory=list)
    media: list[AiortcMedia] = field(default_factory=list)

    @property
    def meter(self) -> LevelMeter:
        return self.meters[-1]

    @property
    def last_media(self) -> AiortcMedia:
        return self.media[-1]


PhoneFactory = Callable[..., Awaitable[PhoneUnderTest]]
