"""espeak-ng speaks (our TTS), faster-whisper listens (our STT): the words must survive."""

from __future__ import annotations

import pytest
from rapidfuzz.distance import Levenshtein

from tests.accessibility.voice_data import RoundTrip, chars, words

pytestmark = pytest.mark.voice

MAX_WER_EN = 0.10
# Measured 2026-11-22 (whisper base int8, beam search of 5, espeak-ng 1.51 cmn-latn-pinyin at
# 165 wpm), 10 runs: CER 0.47-0.53, median 0.50 (greedy decoding, before: 0.52-0.59); the
# spread comes from pyttsx3's audio differing by a few samples between runs. espeak's
# Mandarin is robotic and the base model small; the bound sits just above the measurement,
# so greedy decoding's repetition loops (0.59) and a broken pipeline (wrong voice, rate,
# traditional characters: all ≥ 0.8) fail.
MAX_CER_ZH = 0.56


def _error_rate(trips: list[RoundTrip], split: object) -> float:
    errors = total = 0
    for trip in trips:
        ref, hyp = split(trip.text), split(trip.heard)  # type: ignore[operator]
        errors += Levenshtein.distance(ref, hyp)
        total += len(ref)
    return errors / total


def test_english_word_error_rate(round_trips: dict[str, list[RoundTrip]]) -> None:
    trips = round_trips["en"]
    assert len(trips) == 20
    wer = _error_rate(trips, words)
    print(f"English WER {wer:.3f}")
    assert wer <= MAX_WER_EN, [(t.text, t.heard) for t in trips]


def test_chinese_character_error_rate(round_trips: dict[str, list[RoundTrip]]) -> None:
    trips = round_trips["zh"]
    assert len(trips) == 20
    cer = _error_rate(trips, chars)
    print(f"Chinese CER {cer:.3f}")
    assert cer <= MAX_CER_ZH, [(t.text, t.heard) for t in trips]


def test_languages_are_told_apart(round_trips: dict[str, list[RoundTrip]]) -> None:
    for lang, trips in round_trips.items():
        assert all(t.lang == lang for t in trips), [(t.text, t.lang) for t in trips]


def test_chinese_transcripts_are_simplified(round_trips: dict[str, list[RoundTrip]]) -> None:
    from opencc import OpenCC

    t2s = OpenCC("t2s")
    for trip in round_trips["zh"]:
        assert t2s.convert(trip.heard) == trip.heard
