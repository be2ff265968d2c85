"""Audio sources (aiortc tracks that produce sound) and sinks (tasks that consume a remote track).

Sources produce 20 ms frames of signed 16-bit mono (RFC 7587 §4.2: Opus and G.711 both
packetise 20 ms by default) paced in real time: aiortc's sender pulls frames as fast as `recv()`
returns them, so the source, not the sender, keeps the clock. Encoders resample as they need.
Sinks run one task per remote track, started by `attach()` and ended by `stop()`.
"""

from __future__ import annotations

import asyncio
import fractions
import logging
import math
import wave
from pathlib import Path
from typing import Any

import av
import numpy as np
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av.frame import Frame
from av.packet import Packet

__all__ = [
    "SILENCE_DBFS",
    "DiscardSink",
    "LevelMeter",
    "PacedAudioSource",
    "SilenceSource",
    "Sink",
    "ToneSource",
    "WavRecorder",
    "WavSource",
]

logger = logging.getLogger(__name__)

PTIME = 0.020
#: The floor reported for silence (a true digital zero has no finite level).
SILENCE_DBFS = -120.0


class PacedAudioSource(MediaStreamTrack):
    """Base of the sources: real-time pacing, pts and time_base; subclasses give samples."""

    kind = "audio"

    def __init__(self, sample_rate: int = 48000) -> None:
        super().__init__()
        self.sample_rate = sample_rate
        self._samples_per_frame = int(sample_rate * PTIME)
        self._pts = 0
        self._start: float | None = None

    async def recv(self) -> Frame:
        if self.readyState != "live":
            raise MediaStreamError
        loop = asyncio.get_running_loop()
        if self._start is None:
            self._start = loop.time()
        else:
            # Sleep until this frame's due time, not for a fixed 20 ms, so delays don't add up.
            await asyncio.sleep(max(0.0, self._start + self._pts / self.sample_rate - loop.time()))
        samples = self.next_samples(self._samples_per_frame)
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = self.sample_rate
        frame.pts = self._pts
        frame.time_base = fractions.Fraction(1, self.sample_rate)
        self._pts += self._samples_per_frame
        return frame

    def next_samples(self, count: int) -> np.ndarray:
        """The next `count` samples as int16; raise `MediaStreamError` to end the track."""
        return np.zeros(count, dtype=np.int16)


class SilenceSource(PacedAudioSource):
    """Digital silence: keeps RTP flowing with nothing to say."""


class ToneSource(PacedAudioSource):
    """A continuous sine of `hz`, peak amplitude `level` in dBFS (0 = full scale).

    The RMS level a `LevelMeter` reads is about 3 dB lower (a sine's RMS is peak / sqrt 2).
    """

    def __init__(self, hz: float = 440.0, level: float = -10.0, sample_rate: int = 48000) -> None:
        super().__init__(sample_rate)
        self.hz = hz
        self._amplitude = 32767 * 10 ** (level / 20)
        self._index = 0

    def next_samples(self, count: int) -> np.ndarray:
        # Phase from the absolute sample index, so frames join without clicks.
        t = (self._index + np.arange(count)) / self.sample_rate
        self._index += count
        return np.round(self._amplitude * np.sin(2 * np.pi * self.hz * t)).astype(np.int16)


class WavSource(PacedAudioSource):
    """Plays a 16-bit PCM WAV file (mono, or stereo mixed down), looping by default.

    Without `loop` the track ends after the last (zero-padded) frame.
    """

    def __init__(self, path: str | Path, loop: bool = True) -> None:
        self._wav = wave.open(str(path), "rb")  # noqa: SIM115 - open for the track's life
        if self._wav.getsampwidth() != 2 or self._wav.getnframes() == 0:
            self._wav.close()
            raise ValueError(f"{path}: not a non-empty 16-bit PCM WAV file")
        super().__init__(self._wav.getframerate())
        self.loop = loop
        self._channels = self._wav.getnchannels()
        self._ended = False

    def next_samples(self, count: int) -> np.ndarray:
        if self._ended:
            raise MediaStreamError
        chunks: list[np.ndarray] = []
        needed = count
        while needed > 0:
            data = np.frombuffer(self._wav.readframes(needed), dtype="<i2")
            if self._channels > 1:
                data = data.reshape(-1, self._channels).mean(axis=1).astype(np.int16)
            chunks.append(data)
            needed -= len(data)
            if needed > 0:
                if not self.loop:
                    self._ended = True
                    chunks.append(np.zeros(needed, dtype=np.int16))
                    break
                self._wav.rewind()
        return np.concatenate(chunks).astype(np.int16)

    def stop(self) -> None:
        self._wav.close()
        super().stop()


class Sink:
    """Consumes a remote track in a task; subclasses override `write()` (and `close()`)."""

    def __init__(self) -> None:
        self.frames = 0
        self._task: asyncio.Task[None] | None = None

    def attach(self, track: MediaStreamTrack) -> None:
        """Start consuming `track` (called on aiortc's "track" event)."""
        if self._task is not None:
            raise RuntimeError(f"{type(self).__name__} already consumes a track")
        self._task = asyncio.create_task(self._run(track), name=f"{type(self).__name__}")

    async def stop(self) -> None:
        """Stop consuming and release resources. Safe to call twice or unattached."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        self.close()

    def write(self, frame: Frame | Packet[Any]) -> None:
        """Handle one decoded frame."""

    def close(self) -> None:
        """Release resources (files) once no more frames will come."""

    async def _run(self, track: MediaStreamTrack) -> None:
        try:
            while True:
                frame = await track.recv()
                self.frames += 1
                self.write(frame)
        except MediaStreamError:
            pass  # the track ended: the connection closed
        except Exception:
            # Nobody awaits this task until stop(): say it now rather than lose the error.
            logger.exception("%s stopped consuming its track", type(self).__name__)


class DiscardSink(Sink):
    """Reads and drops frames (of any kind), so the receiver's queue does not grow."""


class WavRecorder(Sink):
    """Records to a WAV file: 16-bit PCM mono at the first frame's rate (or `sample_rate`)."""

    def __init__(self, path: str | Path, sample_rate: int | None = None) -> None:
        super().__init__()
        self.path = Path(path)
        self._rate = sample_rate
        self._resampler: av.AudioResampler | None = None
        self._wav: wave.Wave_write | None = None

    def write(self, frame: Frame | Packet[Any]) -> None:
        assert isinstance(frame, av.AudioFrame)
        if self._wav is None:
            self._rate = self._rate or frame.sample_rate
            self._resampler = av.AudioResampler(format="s16", layout="mono", rate=self._rate)
            self._wav = wave.open(str(self.path), "wb")  # noqa: SIM115 - closed in close()
            self._wav.setnchannels(1)
            self._wav.setsampwidth(2)
            self._wav.setframerate(self._rate)
        assert self._resampler is not None
        for out in self._resampler.resample(frame):
            self._wav.writeframes(out.to_ndarray().astype("<i2").tobytes())

    def close(self) -> None:
        if self._wav is not None:
            self._wav.close()
            self._wav = None


class LevelMeter(Sink):
    """Measures what arrives: RMS and peak level (dBFS) and the dominant frequency (FFT),
    over the last `window` seconds, plus totals of frames and samples."""

    def __init__(self, window: float = 0.5) -> None:
        super().__init__()
        self.window = window
        self.samples = 0
        self.sample_rate = 0
        self._recent = np.zeros(0)

    def write(self, frame: Frame | Packet[Any]) -> None:
        assert isinstance(frame, av.AudioFrame)
        mono = _to_mono(frame)
        self.samples += len(mono)
        self.sample_rate = frame.sample_rate
        keep = int(self.window * frame.sample_rate)
        self._recent = np.concatenate((self._recent, mono))[-keep:]

    @property
    def level_dbfs(self) -> float:
        """RMS level of the window; `SILENCE_DBFS` when nothing or zeros arrived."""
        rms = float(np.sqrt(np.mean(self._recent**2))) if len(self._recent) else 0.0
        return _dbfs(rms)

    @property
    def peak_dbfs(self) -> float:
        """Highest absolute sample in the window."""
        return _dbfs(float(np.max(np.abs(self._recent))) if len(self._recent) else 0.0)

    @property
    def dominant_hz(self) -> float | None:
        """The strongest frequency in the window (None when silent or under 50 ms of audio)."""
        x = self._recent
        if len(x) < 0.05 * max(self.sample_rate, 1) or self.level_dbfs <= SILENCE_DBFS:
            return None
        spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
        spectrum[0] = 0.0  # ignore DC
        k = int(np.argmax(spectrum))
        offset = 0.0
        # Parabolic interpolation between neighbouring bins sharpens the estimate.
        if 0 < k < len(spectrum) - 1:
            a, b, c = (float(v) for v in np.log(spectrum[k - 1 : k + 2] + 1e-12))
            offset = 0.5 * (a - c) / (a - 2 * b + c) if a - 2 * b + c else 0.0
        return (k + offset) * self.sample_rate / len(x)


def _to_mono(frame: av.AudioFrame) -> np.ndarray:
    """Samples as float64 in [-1, 1], channels averaged (packed or planar layouts)."""
    data = frame.to_ndarray()
    # Integer PCM is scaled to full scale = 1.0; float formats already are.
    scale = 2.0 ** (8 * data.dtype.itemsize - 1) if data.dtype.kind == "i" else 1.0
    samples = np.asarray(data, dtype=np.float64) / scale
    if frame.format.is_planar:
        return np.asarray(samples.mean(axis=0))
    return np.asarray(samples.reshape(-1, len(frame.layout.channels)).mean(axis=1))


def _dbfs(value: float) -> float:
    return max(SILENCE_DBFS, 20 * math.log10(value)) if value > 0 else SILENCE_DBFS
