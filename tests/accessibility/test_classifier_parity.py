"""The classifier must reach the same category from a transcript as from the typed text."""

from __future__ import annotations

import importlib

import pytest

from tests.accessibility.voice_data import RoundTrip

pytestmark = pytest.mark.voice

# The target, for both languages.
TARGET = 0.90
# English meets the target (1.00 in every run). Chinese, measured 2026-11-22 over the 20 sentences
# of data/requests_zh.txt, 12 runs of the product path (pinyin input and pitch range 100 for
# espeak-ng, repetition penalty 1.15 for Chinese in whisper, longer sound-alike cues over short
# written ones): 0.60-0.80, median 0.75 (last session 0.55-0.75, median 0.70; before that
# 0.35-0.45). On 20 held-out sentences of other wording (data/requests_zh_heldout.txt, never tuned
# on; bench/voice.py): 0.65-0.80, median 0.70 (0.50-0.60 with the old speech). The character error
# rate fell from about 0.55 to 0.43, but the sentences that fail are those whose request words are
# lost in every decoding (坡道 → 泡泡, 绘画班 → 会判, 助听器 → 出天气, 卫生间摔倒了 →
# 会瞬间摔到的: an emergency is never decided by sound), while the rest flip with the audio
# (pyttsx3's espeak output differs by a few samples from run to run, and whisper base is at the
# edge of understanding espeak's Mandarin). The Chinese bound sits below the measurement (a return
# to the old 0.35-0.45 fails); test_chinese_agreement_target records the unmet target.
# Session 4 (2026-11-22), 8 fresh audio draws of the product path, each transcript classified with
# and without the new rule that greetings/thanks/weather words do not outweigh a clear request
# cue (core/classifier/pipeline.py CLEAR_REQUEST; 我得出天气,做天坏了 is now repair): 0.60-0.75,
# median 0.675 before → 0.65-0.80, median 0.725 after; held-out unchanged at 0.70-0.80 (median
# 0.775); English 1.00 in all. A context prompt for whisper (the service's own words) did not
# help and made it write the prompt into unclear speech (accessibility/stt.py, _options).
MIN_AGREEMENT = {"en": TARGET, "zh": 0.55}


def _classify() -> object:
    try:
        module = importlib.import_module("core.classifier")
    except ImportError:
        pytest.skip("core.classifier is not written yet")
    return module.classify


def _agreement(trips: list[RoundTrip], lang: str) -> tuple[float, list[tuple[str, str]]]:
    classify = _classify()
    # A transcript is classified as the product classifies a voice note: spoken=True.
    same = [
        classify(t.text, lang).category  # type: ignore[operator]
        == classify(t.heard, lang, spoken=True).category  # type: ignore[operator]
        for t in trips
    ]
    misses = [(t.text, t.heard) for t, ok in zip(trips, same, strict=True) if not ok]
    return sum(same) / len(same), misses


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_same_category_from_voice(lang: str, round_trips: dict[str, list[RoundTrip]]) -> None:
    agreement, misses = _agreement(round_trips[lang], lang)
    print(f"{lang}: category agreement {agreement:.2f}")
    assert agreement >= MIN_AGREEMENT[lang], misses


@pytest.mark.xfail(
    strict=True,
    reason="issue 7 target not met for Chinese: espeak-ng Mandarin + whisper base (see above)",
)
def test_chinese_agreement_target(round_trips: dict[str, list[RoundTrip]]) -> None:
    agreement, misses = _agreement(round_trips["zh"], "zh")
    assert agreement >= TARGET, misses
