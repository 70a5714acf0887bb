"""Audio conversions: WAV → OGG/Opus 48 kHz mono for voice messages; any file → 16 kHz for STT."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from accessibility.errors import AudioUnreadable

OPUS_RATE = 48_000  # libsndfile writes Opus only at 8/12/16/24/48 kHz; Telegram plays 48 kHz best
STT_RATE = 16_000  # what whisper expects


def to_mono_float(data: np.ndarray) -> np.ndarray:
    """float32 mono samples from a (frames,) or (frames, channels) array."""
    samples = np.asarray(data, dtype=np.float32)
    if samples.ndim == 2:
        samples = samples.mean(axis=1)
    return samples


def encode_ogg_opus(samples: np.ndarray, rate: int) -> bytes:
    """OGG/Opus 48 kHz mono bytes from float samples at any rate (resampled with soxr)."""
    mono = to_mono_float(samples)
    if rate != OPUS_RATE:
        mono = soxr.resample(mono, rate, OPUS_RATE, quality="HQ")
    # Opus clips hard above full scale; keep a little headroom.
    peak = float(np.max(np.abs(mono))) if mono.size else 0.0
    if peak > 0.99:
        mono = mono * (0.99 / peak)
    buffer = io.BytesIO()
    sf.write(buffer, mono, OPUS_RATE, format="OGG", subtype="OPUS")
    return buffer.getvalue()


def wav_to_ogg_opus(wav: bytes | Path) -> bytes:
    """OGG/Opus 48 kHz mono bytes from a WAV file or WAV bytes."""
    source = io.BytesIO(wav) if isinstance(wav, bytes) else wav
    data, rate = sf.read(source, dtype="float32", always_2d=False)
    return encode_ogg_opus(data, rate)


def ogg_duration(ogg: bytes) -> float:
    """Duration in seconds of OGG (or any libsndfile-readable) audio bytes."""
    info = sf.info(io.BytesIO(ogg))
    return info.frames / info.samplerate if info.samplerate else 0.0


def load_for_stt(source: Path | bytes) -> np.ndarray:
    """16 kHz mono float32 samples of a voice note (OGG/Opus, MP3, WAV…); else AudioUnreadable."""
    # PyAV (through faster-whisper) reads everything Telegram and browsers send.
    from faster_whisper.audio import decode_audio

    handle = io.BytesIO(source) if isinstance(source, bytes) else str(source)
    try:
        samples = decode_audio(handle, sampling_rate=STT_RATE)
    except Exception as exc:  # PyAV raises many kinds of errors for broken input
        samples = _load_with_soundfile(source)
        if samples is None:
            raise AudioUnreadable(f"cannot decode audio: {exc}") from exc
    samples = np.asarray(samples, dtype=np.float32)
    if samples.size == 0 or not np.all(np.isfinite(samples)):
        raise AudioUnreadable("the audio has no samples")
    return samples


def _load_with_soundfile(source: Path | bytes) -> np.ndarray | None:
    try:
        data, rate = sf.read(
            io.BytesIO(source) if isinstance(source, bytes) else source,
            dtype="float32",
            always_2d=False,
        )
    except Exception:  # noqa: BLE001 - any failure means "unreadable" to the caller
        return None
    mono = to_mono_float(data)
    return soxr.resample(mono, rate, STT_RATE) if rate != STT_RATE else mono
