"""`lightwing say` and `lightwing transcribe`: the voice pipeline on its own."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from accessibility.errors import VoiceError
from accessibility.stt import transcribe
from accessibility.tts import synthesize
from core import texts
from core.settings import Settings


def _error(exc: VoiceError, lang: str | None) -> int:
    message = texts.get(exc.prompt_key, lang, **exc.values)
    payload = {"error": {"code": exc.code, "message": message, "detail": exc.message}}
    print(json.dumps(payload, ensure_ascii=False), file=sys.stderr)
    return 2


def say_command(text: str, lang: str, out: Path, settings: Settings) -> int:
    """Speak text in lang to an OGG/Opus file; prints a JSON summary; returns the exit code."""
    start = time.perf_counter()
    try:
        speech = synthesize(text, lang, settings)
    except VoiceError as exc:
        return _error(exc, lang)
    out = Path(out)
    if out.parent != Path(""):
        out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(speech.ogg)
    summary = {
        "out": str(out),
        "voice": speech.voice,
        "duration": round(speech.duration, 3),
        "seconds": round(time.perf_counter() - start, 3),
        "cached": speech.cached,
    }
    print(json.dumps(summary, ensure_ascii=False))
    return 0


def transcribe_command(path: Path, settings: Settings) -> int:
    """Transcribe a voice file; prints JSON {text, lang, duration, seconds}; returns exit code."""
    start = time.perf_counter()
    try:
        heard = transcribe(Path(path), settings)
    except VoiceError as exc:
        return _error(exc, settings.default_lang)
    result = {
        "text": heard.text,
        "lang": heard.lang,
        "duration": round(heard.duration, 3),
        "seconds": round(time.perf_counter() - start, 3),
    }
    print(json.dumps(result, ensure_ascii=False))
    return 0
