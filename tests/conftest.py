"""Shared test setup: the Hypothesis profile, and the captured SIP messages as bytes.

The captures in tests/fixtures/sip are real messages between JsSIP (Chromium), Kamailio and SIPp
(see its README.md); they are read as bytes, never as text, so their CRLFs stay as sent.

Hypothesis runs derandomized by default, so CI sees the same examples every time; set
HYPOTHESIS_PROFILE=dev to explore with fresh random examples.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType

import pytest
from hypothesis import HealthCheck, settings

from support.netns import ensure_loopback_namespace

SIP_FIXTURES = Path(__file__).parent / "fixtures" / "sip"

settings.register_profile(
    "ci",
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def captured_sip_paths() -> list[Path]:
    """Every captured SIP message (`NN-from-to-what.sip`), in flow order."""
    return sorted(SIP_FIXTURES.glob("*.sip"))


def read_captured(number: str | int) -> bytes:
    """The bytes of the capture whose file name starts with `number` (`7`, `"07"`, `"07-alice"`)."""
    prefix = f"{number:02d}" if isinstance(number, int) else str(number)
    paths = [p for p in captured_sip_paths() if p.name.startswith(prefix)]
    if len(paths) != 1:
        raise LookupError(f"{len(paths)} captured messages match {prefix!r}")
    return paths[0].read_bytes()


@pytest.fixture
def captured() -> Callable[[str | int], bytes]:
    """A reader of captured messages: `captured(7)` or `captured("07")` -> the bytes of 07-*.sip."""
    return read_captured


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test taking `captured_sip` runs once per captured message, with that message's bytes."""
    if "captured_sip" in metafunc.fixturenames:
        paths = captured_sip_paths()
        metafunc.parametrize(
            "captured_sip", [p.read_bytes() for p in paths], ids=[p.stem for p in paths]
        )


#: No test may take longer: a hung await fails its test instead of hanging the run.
TEST_TIME_LIMIT = 60


@pytest.fixture(autouse=True)
def _time_limit() -> Iterator[None]:
    def expire(signum: int, frame: FrameType | None) -> None:
        raise TimeoutError(f"test ran longer than {TEST_TIME_LIMIT} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(TEST_TIME_LIMIT)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def pytest_configure(config: pytest.Config) -> None:
    # Every test runs in a private network namespace that has only `lo`, so WebRTC media and
    # every server stay on loopback (TESTING.md); when not there yet, pytest re-runs itself
    # under `unshare --net` with the same arguments.
    ensure_loopback_namespace(config)
