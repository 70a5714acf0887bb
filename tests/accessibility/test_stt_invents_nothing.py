"""Speech recognition must not invent a request: noise is "nothing heard", and speech that is
not a request does not come out as one. This guards the decoding options (and any future
context prompt: whisper copies prompt words into unclear audio, see accessibility/stt.py)."""

from __future__ import annotations

import tomllib

import numpy as np
import pytest

from accessibility.audio import OPUS_RATE, encode_ogg_opus
from accessibility.errors import NothingHeard
from accessibility.stt import transcribe
from accessibility.tts import synthesize
from core.classifier import classify
from core.classifier.taxonomy import load_taxonomy
from core.settings import Settings
from tests.accessibility.voice_data import DATA

pytestmark = pytest.mark.voice

NOT_REQUESTS: dict[str, list[str]] = tomllib.loads(
    (DATA / "not_requests.toml").read_text(encoding="utf-8")
)
# English: how many of the sentences may come out as a request category. Measured 2026-11-22, 10
# runs of the product path: 1 of 3 in five runs ("lovely" heard as "lonely": a mishearing of a
# real word, not an invented one), 0 in the others.
MAX_EN_TURNED_INTO_REQUESTS = 1
# Chinese: espeak's Mandarin is often heard as other words altogether (他的猫喜欢在窗台上睡觉 →
# "打个帽子,翻炒,翻炒,翻滑掉"), which the sound-alike matching may then read as some category;
# what must never happen is a request word written that nobody said. Measured over the same 10
# runs: none, and no sentence lost. With a context prompt ("以下是残疾人向助残志愿者求助的
# 语音留言。") whisper wrote the prompt itself (这本小说的结局让人意外 → "残疾人向助的语音留言。":
# 语音, a digital cue) or nothing at all (他的猫喜欢在窗台上睡觉); with a word list as hotwords
# it wrote the list (他的猫… → "体育、买东西、轮椅、轮椅…"). Both fail here.
SECONDS = 5


def _noises() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(7)  # fixed, so a failure can be reproduced
    size = SECONDS * OPUS_RATE
    t = np.arange(size) / OPUS_RATE
    brown = np.cumsum(rng.standard_normal(size))
    brown -= np.convolve(brown, np.ones(4801) / 4801, mode="same")  # no drift, keep the rumble
    return {
        "hiss": 0.2 * rng.standard_normal(size),
        "rumble": 0.3 * brown / np.max(np.abs(brown)),
        "mains hum": 0.1 * np.sin(2 * np.pi * 50 * t) + 0.01 * rng.standard_normal(size),
    }


NOISES = _noises()


@pytest.mark.parametrize("hint", ["zh", "en"])
@pytest.mark.parametrize("name", sorted(NOISES))
def test_noise_is_nothing_heard(name: str, hint: str, voice_settings: Settings) -> None:
    # Loud enough to pass the silence check, so whisper itself has to hear that nobody speaks.
    note = encode_ogg_opus(NOISES[name].astype(np.float32), OPUS_RATE)
    with pytest.raises(NothingHeard):
        heard = transcribe(note, voice_settings, hint=hint)
        print(f"{name}: heard {heard.text!r}")


def _request_words(text: str) -> set[str]:
    """The Chinese request cues (two characters or more) written in text."""
    hits = load_taxonomy().cues["zh"].find(text)
    return {
        h.cue for h in hits
        if len(h.cue) >= 2 and any(w > 0 and c != "other" for c, w, _kind in h.payloads)
    }


def _hear(text: str, lang: str, settings: Settings) -> str | None:
    """What our STT hears when our TTS says text; None when it hears nothing."""
    try:
        return transcribe(synthesize(text, lang, settings).ogg, settings, hint=lang).text
    except NothingHeard:
        return None


def test_chinese_speech_gets_no_request_words_nobody_said(voice_settings: Settings) -> None:
    invented: list[tuple[str, str, set[str]]] = []
    lost: list[str] = []
    for text in NOT_REQUESTS["zh"]:
        assert classify(text, "zh").category == "other", text  # the data is what it claims
        heard = _hear(text, "zh", voice_settings)
        if heard is None:
            lost.append(text)  # speech taken for silence: a prompt did that too
            continue
        assert classify(heard, "zh", spoken=True).urgency != "emergency", (text, heard)
        extra = _request_words(heard) - _request_words(text)
        if extra:
            invented.append((text, heard, extra))
    assert not lost, lost
    assert not invented, invented


def test_english_speech_that_is_no_request_stays_none(voice_settings: Settings) -> None:
    turned: list[tuple[str, str | None, str]] = []
    for text in NOT_REQUESTS["en"]:
        assert classify(text, "en").category == "other", text
        heard = _hear(text, "en", voice_settings)
        assert heard is not None, text
        result = classify(heard, "en", spoken=True)
        assert result.urgency != "emergency", (text, heard)
        if result.category != "other":
            turned.append((text, heard, result.category))
    assert len(turned) <= MAX_EN_TURNED_INTO_REQUESTS, turned
