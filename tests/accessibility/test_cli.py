"""`lightwing say` / `lightwing transcribe` helpers."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import soundfile as sf

from accessibility.cli import say_command, transcribe_command
from core.settings import Settings

pytestmark = pytest.mark.voice


def test_say_then_transcribe(
    voice_settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out" / "reply.ogg"
    # The time is not the last word: whisper base most often mishears the end of a short
    # robotic clip ("…at 9:30." came out as "…at her first time." in some runs, as the
    # engine's audio varies by a few samples with what it spoke before).
    assert say_command("Please come at 9:30 tomorrow morning.", "en", out, voice_settings) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["out"] == str(out) and summary["duration"] > 1
    info = sf.info(io.BytesIO(out.read_bytes()))
    assert (info.samplerate, info.subtype) == (48000, "OPUS")

    assert transcribe_command(out, voice_settings) == 0
    printed = capsys.readouterr().out
    result = json.loads(printed)
    assert set(result) == {"text", "lang", "duration", "seconds"}
    assert result["lang"] == "en"
    heard = result["text"].lower()
    # "9:30" is spoken as "half past nine" (whisper writes "half past 9").
    assert "come at" in heard
    assert "half past" in heard


def test_transcribe_bad_file(
    voice_settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.ogg"
    bad.write_bytes(b"nonsense")
    assert transcribe_command(bad, voice_settings) == 2
    error = json.loads(capsys.readouterr().err)["error"]
    assert error["code"] == "audio_unreadable" and error["message"]
