"""Sources and sinks on their own: frames, pacing, levels, frequencies, WAV files (no network)."""

from __future__ import annotations

import asyncio
import fractions
import wave
from pathlib import Path

import av
import numpy as np
import pytest
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from webphone.phone.audio import (
    SILENCE_DBFS,
    DiscardSink,
    LevelMeter,
    SilenceSource,
    Sink,
    ToneSource,
    WavRecorder,
    WavSource,
)

pytestmark = pytest.mark.asyncio


def write_tone_wav(
    path: Path, hz: float, seconds: float, rate: int = 16000, channels: int = 1
) -> None:
    t = np.arange(int(seconds * rate)) / rate
    mono = np.round(16000 * np.sin(2 * np.pi * hz * t)).astype("<i2")
    data = np.repeat(mono, channels)  # interleaved: the same signal on every channel
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(data.tobytes())


async def audio_frame(source: MediaStreamTrack) -> av.AudioFrame:
    frame = await source.recv()
    assert isinstance(frame, av.AudioFrame)
    return frame


async def feed(sink: Sink, source: MediaStreamTrack, frames: int) -> None:
    """Push `frames` frames from `source` into a sink's write(), as its task would."""
    for _ in range(frames):
        sink.write(await source.recv())


async def test_tone_frames_have_format_pts_and_pacing() -> None:
    source = ToneSource(440, level=-6)
    loop = asyncio.get_running_loop()
    start = loop.time()
    frames = [await audio_frame(source) for _ in range(6)]
    elapsed = loop.time() - start
    assert all(isinstance(f, av.AudioFrame) for f in frames)
    first = frames[0]
    assert (first.format.name, first.layout.name, first.sample_rate, first.samples) == (
        "s16",
        "mono",
        48000,
        960,
    )
    assert [f.pts for f in frames] == [i * 960 for i in range(6)]
    assert first.time_base == fractions.Fraction(1, 48000)
    # Real time: frame n is due at n x 20 ms, so six frames take about 100 ms.
    assert 0.09 <= elapsed < 0.5
    source.stop()
    with pytest.raises(MediaStreamError):
        await source.recv()


async def test_level_meter_measures_a_tone() -> None:
    meter = LevelMeter(window=0.5)
    await feed(meter, ToneSource(1000, level=-6), 30)
    assert meter.dominant_hz == pytest.approx(1000, abs=5)
    # A sine's RMS is its peak less 3.01 dB.
    assert meter.level_dbfs == pytest.approx(-9.0, abs=0.2)
    assert meter.peak_dbfs == pytest.approx(-6.0, abs=0.1)
    assert (meter.frames, meter.samples, meter.sample_rate) == (0, 30 * 960, 48000)


async def test_level_meter_on_silence_and_nothing() -> None:
    meter = LevelMeter()
    assert meter.level_dbfs == SILENCE_DBFS
    assert meter.dominant_hz is None
    await feed(meter, SilenceSource(), 5)
    assert meter.level_dbfs == SILENCE_DBFS
    assert meter.peak_dbfs == SILENCE_DBFS
    assert meter.dominant_hz is None


async def test_level_meter_reads_stereo_decoder_frames() -> None:
    # What aiortc's Opus decoder delivers: packed s16 stereo at 48 kHz.
    t = np.arange(960) / 48000
    mono = np.round(8000 * np.sin(2 * np.pi * 300 * t)).astype(np.int16)
    meter = LevelMeter(window=0.1)
    for _ in range(10):
        frame = av.AudioFrame.from_ndarray(
            np.repeat(mono, 2).reshape(1, -1), format="s16", layout="stereo"
        )
        frame.sample_rate = 48000
        meter.write(frame)
    assert meter.dominant_hz == pytest.approx(300, abs=10)
    assert meter.samples == 9600


async def test_sink_task_consumes_a_track_and_stops() -> None:
    meter = LevelMeter()
    source = ToneSource(440)
    meter.attach(source)
    with pytest.raises(RuntimeError):
        meter.attach(source)
    await asyncio.sleep(0.15)
    await meter.stop()
    await meter.stop()  # twice is fine
    assert meter.frames >= 5
    assert meter.dominant_hz == pytest.approx(440, abs=15)


async def test_sink_task_ends_when_the_track_ends() -> None:
    sink = DiscardSink()
    source = SilenceSource()
    sink.attach(source)
    await asyncio.sleep(0.05)
    source.stop()
    task = sink._task
    assert task is not None
    await asyncio.wait_for(task, timeout=1)
    await sink.stop()


async def test_wav_recorder_writes_16_bit_mono(tmp_path: Path) -> None:
    path = tmp_path / "out.wav"
    recorder = WavRecorder(path)
    await feed(recorder, ToneSource(440, level=-6), 25)
    recorder.close()
    with wave.open(str(path), "rb") as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, 48000)
        assert wav.getnframes() == 25 * 960
        samples = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
    spectrum = np.abs(np.fft.rfft(samples))
    assert np.argmax(spectrum) * 48000 / len(samples) == pytest.approx(440, abs=3)


async def test_wav_recorder_resamples_to_a_fixed_rate(tmp_path: Path) -> None:
    path = tmp_path / "out8k.wav"
    recorder = WavRecorder(path, sample_rate=8000)
    await feed(recorder, ToneSource(440), 10)
    recorder.close()
    with wave.open(str(path), "rb") as wav:
        assert wav.getframerate() == 8000
        assert 1200 <= wav.getnframes() <= 1600  # 200 ms, less the resampler's delay


async def test_wav_source_loops(tmp_path: Path) -> None:
    path = tmp_path / "tone.wav"
    write_tone_wav(path, 660, seconds=0.05)  # shorter than the meter's window: must loop
    source = WavSource(path)
    assert source.sample_rate == 16000
    meter = LevelMeter(window=0.2)
    await feed(meter, source, 15)
    assert meter.dominant_hz == pytest.approx(660, abs=15)
    assert meter.level_dbfs > -20
    source.stop()


async def test_wav_source_without_loop_ends(tmp_path: Path) -> None:
    path = tmp_path / "stereo.wav"
    write_tone_wav(path, 500, seconds=0.05, rate=8000, channels=2)
    source = WavSource(path, loop=False)
    frames = []
    with pytest.raises(MediaStreamError):
        for _ in range(10):
            frames.append(await audio_frame(source))
    # 50 ms = 2.5 frames of 20 ms: three frames, the last zero-padded.
    assert len(frames) == 3
    assert frames[0].layout.name == "mono"
    source.stop()


async def test_wav_source_rejects_other_formats(tmp_path: Path) -> None:
    path = tmp_path / "eight_bit.wav"
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(1)
        wav.setframerate(8000)
        wav.writeframes(bytes(800))
    with pytest.raises(ValueError, match="16-bit PCM"):
        WavSource(path)
