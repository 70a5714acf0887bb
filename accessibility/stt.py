"""Speech to text with faster-whisper (multilingual base model), Chinese or English only."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from accessibility.audio import STT_RATE, load_for_stt
from accessibility.errors import AudioTooLong, ModelUnavailable, NothingHeard
from accessibility.whisper_files import ensure_whisper_base
from core.settings import Settings, get_settings
from core.texts import normalise_lang

MAX_SECONDS = 120.0  # voice notes up to two minutes
LANGS = ("zh", "en")
SILENCE_PEAK = 0.003  # below about -50 dBFS nobody is speaking
BEAM_SIZE = 5
# Tokens already written weigh this much less in Chinese (logits divided by it). See _options.
REPETITION_PENALTY = {"zh": 1.15}
SURE = 0.7  # below this language probability the user's own language wins
# Whisper sometimes writes Mandarin in traditional characters; residents read simplified.
_opencc: Any = None
_model: Any = None
_model_path: Path | None = None
_load_lock = threading.Lock()
# Two cores: one transcription at a time is faster overall than two fighting for them.
_run_lock = threading.Lock()


@dataclass(frozen=True)
class Transcript:
    """What was heard in a voice note."""

    text: str
    lang: str  # "zh" or "en"
    duration: float  # seconds of audio
    seconds: float  # seconds spent transcribing
    language_probability: float


def model_dir(settings: Settings) -> Path:
    """The model to load: Settings.whisper_model_path, or the joined base model in the cache."""
    if settings.whisper_model_path:
        path = Path(settings.whisper_model_path)
        if not (path / "model.bin").is_file():
            raise ModelUnavailable(f"no model.bin in {path}")
        return path
    return ensure_whisper_base(settings.cache_dir)


def get_model(settings: Settings | None = None) -> Any:
    """The process's WhisperModel, loaded on first use (thread-safe)."""
    global _model, _model_path
    settings = settings or get_settings()
    with _load_lock:
        if _model is None:
            from faster_whisper import WhisperModel

            path = model_dir(settings)
            threads = min(4, os.cpu_count() or 1)
            _model = WhisperModel(str(path), device="cpu", compute_type="int8", cpu_threads=threads)
            _model_path = path
        return _model


def _to_simplified(text: str) -> str:
    global _opencc
    if _opencc is None:
        from opencc import OpenCC

        _opencc = OpenCC("t2s")
    return _opencc.convert(text)


def _pick_lang(info: Any, hint: str | None) -> tuple[str, float]:
    """zh or en: whisper's guess when sure, else the hint (the user's language), else the
    likelier of the two."""
    probs = dict(info.all_language_probs or [])
    guess, sure = info.language, float(info.language_probability)
    if guess in LANGS and (sure >= SURE or hint not in LANGS or hint == guess):
        return guess, sure
    if hint in LANGS:
        # Robotic or accented speech is sometimes taken for English, Thai or Korean with
        # little confidence; the user's own language is the better guess then.
        return str(hint), float(probs.get(str(hint), 0.0))
    # Cantonese speakers are answered in Chinese too.
    zh = probs.get("zh", 0.0) + probs.get("yue", 0.0)
    en = probs.get("en", 0.0)
    return ("zh", zh) if zh >= en else ("en", en)


def _join(segments: Any, lang: str) -> str:
    parts = [seg.text.strip() for seg in segments]
    text = ("" if lang == "zh" else " ").join(p for p in parts if p)
    return _to_simplified(text) if lang == "zh" else text


def _options(duration: float, lang: str | None) -> dict[str, Any]:
    # Beam search (5 beams) at temperature 0, no temperature fallback: on two cores the
    # default six-temperature fallback can take ten seconds on a noisy note, and sampling
    # makes the same note come out differently each time. Beams cost little here (the
    # encoder's 30-second window is most of the work) and, measured on the 20 Chinese
    # round-trip sentences, cut the character error rate from 0.59 to 0.50 and stop the
    # "喔, 喔, 喔…" loops greedy decoding fell into. The token cap stops the remaining
    # repetition loops (people say fewer than 10 tokens a second). Beams still fell into loops
    # on unclear Chinese (a whole sentence heard as "骑骑骑骑…" or "我,我,我,…"); a mild
    # repetition penalty breaks them and lets the real words through: on the 40 Chinese
    # round-trip sentences (same audio, 2 copies) the character error rate fell from
    # 0.517-0.542 to 0.494-0.511 and the loops were gone. It is mild because people do repeat
    # themselves (聊聊天, 看一看); a ban on repeated n-grams would forbid that outright, and
    # temperature fallback never triggered on such short notes (too short for the
    # compression-ratio test). English keeps none: its word error rate was the same with it,
    # but a repeated "I" came out as "i".
    # No context prompt (initial_prompt / hotwords): tried 2026-11-22 with the service's own
    # vocabulary, on the 20 Chinese round-trip sentences (one set of audio for every variant;
    # without a prompt: category agreement 0.75, CER 0.400). Word lists (two words per
    # category of DESIGN.md, 133 tokens; or the three cues most used in each category's
    # taxonomy phrasings, 180 tokens) gave 0.65 and 0.75 and were copied into unclear speech:
    # 地铁站的坡道坏了 → "体检、康复、体育。", 我的轮椅坏了 → "我的轮椅、坏了、抽搐、…" (an
    # emergency cue the resident never said). hotwords and initial_prompt behave the same
    # (both are the previous-text prompt). Sentences as prompts: "以下是普通话的句子。" 0.70;
    # "您好，这里是助残志愿服务热线…" 0.70; "以下是残疾人向助残志愿者求助的语音留言。" 0.80
    # (CER 0.468, worse), but speech that is no request came out as the prompt itself
    # (这本小说的结局让人意外 → "残疾人向助的语音留言。", read as a digital request) or as
    # nothing at all. whisper base hears espeak's Mandarin too poorly to weigh a prompt against
    # the audio; the words lost (助听器, 坡道, 绘画班) are not even in its 10 best hypotheses.
    # tests/accessibility/test_stt_invents_nothing.py fails if such a prompt comes back.
    return {
        "beam_size": BEAM_SIZE,
        "repetition_penalty": REPETITION_PENALTY.get(lang or "", 1.0),
        "temperature": 0.0,
        "condition_on_previous_text": False,
        "without_timestamps": True,
        "max_new_tokens": int(min(400, 12 * min(duration, 30.0) + 24)),
    }


def transcribe_samples(
    samples: np.ndarray,
    settings: Settings | None = None,
    *,
    lang: str | None = None,
    hint: str | None = None,
) -> Transcript:
    """Transcribe 16 kHz mono samples; lang forces zh/en, else it is detected (zh or en,
    falling back to hint, the user's language, when whisper hears something else)."""
    duration = len(samples) / STT_RATE
    if duration > MAX_SECONDS:
        raise AudioTooLong(
            f"voice note of {duration:.0f} s", seconds=round(duration), limit=int(MAX_SECONDS)
        )
    if samples.size == 0 or float(np.max(np.abs(samples))) < SILENCE_PEAK:
        # Whisper invents text for silence ("Thank you for watching"); do not ask it.
        raise NothingHeard("the note is silent")
    if lang is not None:
        lang = normalise_lang(lang)
    model = get_model(settings)
    start = time.perf_counter()
    # The decoding options depend on the language: the forced one, else the user's.
    guess = lang or (normalise_lang(hint) if hint else None)
    with _run_lock:
        segments, info = model.transcribe(samples, language=lang, **_options(duration, guess))
        chosen, probability = (lang, 1.0) if lang else _pick_lang(info, hint)
        if chosen != info.language or chosen != guess:
            # Segments are lazy, so nothing was decoded yet in the wrong language or with the
            # wrong language's options.
            segments, info = model.transcribe(
                samples, language=chosen, **_options(duration, chosen)
            )
        text = _join(segments, chosen)
    if not text.strip():
        raise NothingHeard("no words recognised")
    return Transcript(text, chosen, duration, time.perf_counter() - start, probability)


def transcribe(
    source: Path | bytes,
    settings: Settings | None = None,
    *,
    lang: str | None = None,
    hint: str | None = None,
) -> Transcript:
    """Transcribe a voice note (file path or bytes); blocking. Raises VoiceError subclasses."""
    samples = load_for_stt(source)
    return transcribe_samples(samples, settings, lang=lang, hint=hint)


async def transcribe_async(
    source: Path | bytes,
    settings: Settings | None = None,
    *,
    lang: str | None = None,
    hint: str | None = None,
) -> Transcript:
    """transcribe() off the event loop."""
    return await asyncio.to_thread(transcribe, source, settings, lang=lang, hint=hint)
