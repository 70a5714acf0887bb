"""The classifier must reach the same category from a transcript as from the typed text."""

from __future__ import annotations

import importlib

import pytest

from tests.accessibility.voice_data import RoundTrip

pytestmark = pytest.mark.voice

# The target, for both languages.
TARGET = 0.90
# English meets the target (1.00 in every run). Chinese, measured 2026-11-22 over the 20
# sentences of data/requests_zh.txt in 10 runs: 0.55-0.75, median 0.70 (before: 0.35-0.45),
# with beam-search decoding and sound-alike cue matching of transcripts. The spread comes from
# the audio: pyttsx3's espeak output differs by a few samples from run to run, and whisper base
# is at the edge of understanding espeak's Mandarin (character error rate near 0.50), so a
# few sentences flip. The rest is lost before the classifier sees it: in every decoding tried,
# four sentences lose the words that carry the request (坡道 → 可靠, 手机屏幕 → 柯柯柯,
# 绘画班 → 会说唤, 灯坏了 → 灯帆了). The Chinese bound sits below that measurement (a return
# to the old 0.35-0.45 fails); test_chinese_agreement_target records the unmet target.
MIN_AGREEMENT = {"en": TARGET, "zh": 0.50}


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
