"""Speech to text: errors with prompt keys, limits, language, model files."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from accessibility.audio import STT_RATE
from accessibility.errors import AudioTooLong, AudioUnreadable, NothingHeard
from accessibility.stt import MAX_SECONDS, transcribe, transcribe_async, transcribe_samples
from accessibility.tts import synthesize
from accessibility.whisper_files import ensure_whisper_base, expected_sha256, file_sha256
from core import texts
from core.settings import Settings

pytestmark = pytest.mark.voice


def test_unreadable_audio(voice_settings: Settings, tmp_path: Path) -> None:
    broken = tmp_path / "note.ogg"
    broken.write_bytes(b"OggS this is not really audio" * 10)
    with pytest.raises(AudioUnreadable) as caught:
        transcribe(broken, voice_settings)
    assert caught.value.prompt_key == "voice.unreadable"
    assert broken.exists()  # the caller's note is left alone
    with pytest.raises(AudioUnreadable):
        transcribe(b"", voice_settings)


def test_too_long(voice_settings: Settings) -> None:
    samples = np.zeros(int((MAX_SECONDS + 1) * STT_RATE), dtype=np.float32)
    with pytest.raises(AudioTooLong) as caught:
        transcribe_samples(samples, voice_settings)
    error = caught.value
    assert error.prompt_key == "voice.too_long"
    message = texts.get(error.prompt_key, "en", **error.values)
    assert "121" in message and "120" in message


def test_silence_is_nothing_heard(voice_settings: Settings) -> None:
    with pytest.raises(NothingHeard):
        transcribe_samples(np.zeros(3 * STT_RATE, dtype=np.float32), voice_settings, hint="zh")


def test_wav_file_and_forced_language(voice_settings: Settings, tmp_path: Path) -> None:
    speech = synthesize("Please read my letter.", "en", voice_settings)
    data, rate = sf.read(io.BytesIO(speech.ogg), dtype="float32")
    path = tmp_path / "note.wav"
    sf.write(path, data, rate)  # a plain WAV upload from the web chat
    heard = transcribe(path, voice_settings, lang="en")
    assert heard.lang == "en"
    assert "letter" in heard.text.lower()
    assert heard.duration == pytest.approx(speech.duration, abs=0.1)


async def test_transcribe_async(voice_settings: Settings) -> None:
    speech = synthesize("Thank you very much.", "en", voice_settings)
    heard = await transcribe_async(speech.ogg, voice_settings)
    assert "thank" in heard.text.lower()


def test_model_joined_once_and_verified(voice_settings: Settings) -> None:
    path = ensure_whisper_base(voice_settings.cache_dir)
    model = path / "model.bin"
    assert file_sha256(model) == expected_sha256()
    before = model.stat().st_mtime_ns
    assert ensure_whisper_base(voice_settings.cache_dir) == path
    assert model.stat().st_mtime_ns == before
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        assert (path / name).is_file()
