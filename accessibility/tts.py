"""Text to speech: pyttsx3 + espeak-ng in one dedicated worker thread, OGG/Opus out, cached."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import shutil
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape as xml_escape

from accessibility.audio import ogg_duration, wav_to_ogg_opus
from accessibility.errors import SpeechFailed
from accessibility.pinyin import to_pinyin
from accessibility.speakable import speakable
from core.settings import Settings, get_settings
from core.texts import normalise_lang

log = logging.getLogger(__name__)

# The plain cmn/zh voices read Chinese badly; the pinyin variant reads characters properly,
# and pinyin with tone digits best of all (accessibility/pinyin.py: we give it that).
VOICES: dict[str, str] = {"zh": "cmn-latn-pinyin", "en": "en-us"}
# Words per minute: a little slower than espeak's default is easier to follow on a phone.
RATES: dict[str, int] = {"zh": 165, "en": 165}
# espeak-ng's pitch range (0 monotone … 100; 50 is its default). Mandarin words are told
# apart by their tones, and at 50 the cmn voice glides within about 78-98 Hz (10th-90th
# percentile), so the tones blur into one another; at 100 it spans about 68-108 Hz, still
# narrower than a man's natural Mandarin. espeak-ng itself uses 100 when a tone language is
# emphasised strongly (SSML <emphasis level="x-strong">). Measured on the 40 Chinese round-trip
# sentences (test + held-out, product path, 3-6 runs each): character error rate of what
# whisper heard 0.49-0.54 at 50, 0.49 at 90, 0.42-0.43 at 100. English keeps the default.
PITCH_RANGES: dict[str, int] = {"zh": 100, "en": 50}
DEFAULT_PITCH_RANGE = 50
_SYNTH_TIMEOUT_S = 60.0
# espeak-ng in pyttsx3's asynchronous mode sometimes ends a job at once: its first callback is
# an end-of-message with no audio, and the WAV is a bare header. Seen 2026-11-22 when the
# process is busy (whisper decoding beside it, or a slow callback): 1-4 of 60 messages per
# round-trip run, 12 of 140 jobs in a probe; asked again, 6 of 7 came out whole (same length
# as other runs). Retrying keeps the resident's voice the same instead of handing those
# messages to the espeak-ng command. (Not reproducible on demand, so no test forces it.)
PYTTSX3_ATTEMPTS = 3
_CACHE_VERSION = "2"  # bump when the audio recipe changes, so old cache entries are not reused


@dataclass(frozen=True)
class Speech:
    """One synthesised voice message."""

    ogg: bytes
    duration: float  # seconds of audio
    voice: str
    cached: bool
    engine: str  # "pyttsx3", "espeak-ng" or "cache"


def voice_for(lang: str | None) -> str:
    """The espeak-ng voice id for a language."""
    return VOICES[normalise_lang(lang)]


def cache_key(text: str, voice: str) -> str:
    """sha256 of what is spoken and by which voice (and the recipe version)."""
    material = f"{_CACHE_VERSION}\0{voice}\0{text}"
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def _quiet_print(*args: Any, **kwargs: Any) -> None:
    log.debug(" ".join(str(a) for a in args))


class _Pyttsx3Worker:
    """Owns the process's single pyttsx3 engine; every call runs on its one thread."""

    def __init__(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tts")
        self._lock = threading.Lock()  # the engine is not thread-safe, whoever calls
        self._engine: Any = None
        self._finished = threading.Event()
        self.broken: str | None = None

    def _engine_here(self) -> Any:
        if self._engine is None:
            import pyttsx3
            import pyttsx3.drivers.espeak as espeak_driver

            # pyttsx3 2.99 prints "Audio saved to …" on stdout, which would corrupt CLI
            # output; shadow print in that module only, instead of redirecting sys.stdout.
            espeak_driver.print = _quiet_print  # type: ignore[attr-defined]
            self._engine = pyttsx3.init("espeak")
            self._engine.connect("finished-utterance", self._on_finished)
        return self._engine

    def _on_finished(self, name: object = None, completed: bool = True) -> None:
        self._finished.set()

    def _synth(
        self, text: str, voice: str, rate: int, pitch_range: int, wav_path: str, timeout: float
    ) -> None:
        with self._lock:
            if self.broken:
                raise RuntimeError(self.broken)
            engine = self._engine_here()
            self._finished.clear()
            engine.setProperty("voice", voice)
            engine.setProperty("rate", rate)
            # pyttsx3 has no property for the pitch range; its espeak driver's binding sets it
            # on the same engine. It stays set until changed, so every job sets its own.
            from pyttsx3.drivers import _espeak

            _espeak.SetParameter(_espeak.RANGE, pitch_range, 0)
            engine.save_to_file(text, wav_path)
            engine.runAndWait()
            # pyttsx3 2.99's espeak driver returns from runAndWait before espeak's own thread
            # has finished (and written the WAV) when the machine is busy. Wait for the
            # finished-utterance event, so one job's audio can never leak into the next.
            if not self._finished.wait(timeout):
                self.broken = "pyttsx3 never finished an utterance"
                raise RuntimeError(self.broken)

    def synth_wav(
        self, text: str, voice: str, rate: int, pitch_range: int, timeout: float
    ) -> bytes:
        with tempfile.TemporaryDirectory(prefix="lw-tts-") as tmp:
            wav_path = os.path.join(tmp, "speech.wav")
            future = self._executor.submit(
                self._synth, text, voice, rate, pitch_range, wav_path, timeout
            )
            try:
                future.result(timeout=timeout + 5)
            except FutureTimeout:
                # A stuck engine stays stuck: use espeak-ng from now on in this process.
                self.broken = "pyttsx3 did not finish in time"
                raise
            with open(wav_path, "rb") as handle:
                return handle.read()


_worker: _Pyttsx3Worker | None = None
_worker_lock = threading.Lock()


def _get_worker() -> _Pyttsx3Worker:
    global _worker
    with _worker_lock:
        if _worker is None:
            _worker = _Pyttsx3Worker()
        return _worker


def _espeak_ng_wav(text: str, voice: str, rate: int, pitch_range: int) -> bytes:
    """The fallback: the espeak-ng command writing a WAV to stdout."""
    exe = shutil.which("espeak-ng") or shutil.which("espeak")
    if exe is None:
        raise SpeechFailed("espeak-ng is not installed")
    args = [exe, "-v", voice, "-s", str(rate), "--stdout", "-b", "1"]
    if pitch_range != DEFAULT_PITCH_RANGE:
        # The command has no pitch-range option; SSML's prosody sets it (an absolute value).
        text = f'<speak><prosody range="{pitch_range}">{xml_escape(text)}</prosody></speak>'
        args.append("-m")
    done = subprocess.run(
        args,
        input=text.encode("utf-8"),
        capture_output=True,
        timeout=_SYNTH_TIMEOUT_S,
        check=False,
    )
    if done.returncode != 0 or len(done.stdout) <= 44:
        raise SpeechFailed(f"espeak-ng failed: {done.stderr.decode('utf-8', 'replace')[:200]}")
    return done.stdout


def _synth_wav(
    text: str, voice: str, rate: int, pitch_range: int, engine: str
) -> tuple[bytes, str]:
    worker = _get_worker()
    if engine == "pyttsx3" and worker.broken is None:
        try:
            for _attempt in range(PYTTSX3_ATTEMPTS):
                wav = worker.synth_wav(text, voice, rate, pitch_range, _SYNTH_TIMEOUT_S)
                if len(wav) > 44:  # more than a bare WAV header
                    return wav, "pyttsx3"
                log.debug("pyttsx3 produced no audio for %d chars; asking again", len(text))
            log.warning("pyttsx3 produced no audio for %d chars; using espeak-ng", len(text))
        except (FutureTimeout, OSError, RuntimeError, ValueError) as exc:
            log.warning("pyttsx3 failed (%s); using espeak-ng", exc)
    return _espeak_ng_wav(text, voice, rate, pitch_range), "espeak-ng"


def synthesize(
    text: str,
    lang: str | None,
    settings: Settings | None = None,
    *,
    engine: str = "pyttsx3",
    use_cache: bool = True,
) -> Speech:
    """Speak text (times, dates, numbers written out) as OGG/Opus 48 kHz mono; blocking."""
    settings = settings or get_settings()
    code = normalise_lang(lang)
    voice = VOICES[code]
    spoken = " ".join(speakable(text, code).split())
    if not spoken:
        raise SpeechFailed("nothing to say")  # pyttsx3 would wait forever on empty text
    cache_file = settings.cache_dir / "tts" / f"{cache_key(spoken, voice)}.ogg"
    if use_cache and cache_file.is_file():
        ogg = cache_file.read_bytes()
        return Speech(ogg, ogg_duration(ogg), voice, cached=True, engine="cache")
    # Chinese is handed to espeak-ng as pinyin: it reads polyphones (银行, 还是) by their word.
    said = to_pinyin(spoken) if code == "zh" else spoken
    wav, used = _synth_wav(said, voice, RATES[code], PITCH_RANGES[code], engine)
    ogg = wav_to_ogg_opus(wav)
    if use_cache:
        _write_atomic(cache_file, ogg)
    return Speech(ogg, ogg_duration(ogg), voice, cached=False, engine=used)


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


async def speak_async(
    text: str, lang: str | None, settings: Settings | None = None, **kwargs: Any
) -> Speech:
    """synthesize() off the event loop."""
    return await asyncio.to_thread(synthesize, text, lang, settings, **kwargs)


def real_time_factor(text: str, lang: str | None, settings: Settings | None = None) -> float:
    """Seconds of work per second of audio for one uncached synthesis (for the benchmark)."""
    start = time.perf_counter()
    speech = synthesize(text, lang, settings, use_cache=False)
    return (time.perf_counter() - start) / max(speech.duration, 1e-6)
