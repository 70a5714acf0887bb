"""The web chat's use of the voice pipeline: keep uploads, transcribe them, speak replies."""

from __future__ import annotations

import importlib
import logging
import secrets
from pathlib import Path
from typing import Any

from core.settings import Settings

log = logging.getLogger(__name__)

# What browsers record (MediaRecorder) or users pick, mapped to the suffix we store under.
SUFFIXES: dict[str, str] = {
    "audio/webm": ".webm",
    "audio/ogg": ".ogg",
    "audio/opus": ".opus",
    "audio/mp4": ".m4a",
    "audio/aac": ".aac",
    "audio/mpeg": ".mp3",
    "audio/wav": ".wav",
    "audio/x-wav": ".wav",
    "audio/wave": ".wav",
    "audio/flac": ".flac",
}


def _module(name: str) -> Any | None:
    """The voice helper's module when it is installed, else None (the chat still works)."""
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def suffix_for(content_type: str | None, filename: str | None) -> str:
    """A safe file suffix for an upload, from its type or its name."""
    kind = (content_type or "").split(";")[0].strip().lower()
    if kind in SUFFIXES:
        return SUFFIXES[kind]
    name_suffix = Path(filename or "").suffix.lower()
    return name_suffix if name_suffix in set(SUFFIXES.values()) else ".bin"


def store_upload(settings: Settings, data: bytes, suffix: str) -> Path:
    """Keep a voice note under the media directory before anything else happens."""
    folder = settings.media_dir / "web"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{secrets.token_hex(12)}{suffix}"
    path.write_bytes(data)
    return path


def transcribe(settings: Settings, path: Path, hint: str | None = None) -> str | None:
    """The words of a voice note, or None when speech-to-text is unavailable or hears nothing."""
    stt = _module("accessibility.stt")
    if stt is None:
        return None
    try:
        # The language is detected (a resident may speak Chinese on the English page); the
        # page's language decides only when whisper hears neither Chinese nor English.
        result = stt.transcribe(path, settings, hint=hint)
    except Exception:
        # Never lose the note over a transcription problem: the dialog still gets the audio.
        log.warning("web chat: could not transcribe %s", path.name, exc_info=True)
        return None
    text = str(getattr(result, "text", "") or "").strip()
    return text or None


def tts_available() -> bool:
    """Whether spoken replies can be offered at all."""
    return _module("accessibility.tts") is not None


def speak(settings: Settings, text: str, lang: str) -> bytes:
    """OGG/Opus bytes of the text read aloud in its language."""
    tts = _module("accessibility.tts")
    if tts is None:
        raise LookupError("text-to-speech is not installed")
    return bytes(tts.synthesize(text, lang, settings).ogg)
