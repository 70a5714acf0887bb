"""Chinese → tone-numbered pinyin for the cmn-latn-pinyin voice: polyphones read by their word."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from accessibility.pinyin import to_pinyin
from core.classifier.phonetic import readings


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("银行", "yin2 hang2"),  # espeak-ng alone says yín-xíng
        ("我还是想去", "wo3 hai2 shi4 xiang3 qu4"),  # not huán
        ("一个人", "yi2 ge4 ren2"),  # 一 before a fourth tone (espeak alone: yī)
        ("不是", "bu2 shi4"),  # 不 before a fourth tone (espeak alone: bù)
        ("你好", "ni2 hao3"),  # two third tones
        ("我的轮椅坏了", "wo3 de5 lun2 yi3 huai4 le5"),  # neutral tones carry a 5
        ("女儿", "nv3 er2"),  # ü as v, as the voice reads it
    ],
)
def test_polyphones_and_tones(text: str, expected: str) -> None:
    assert to_pinyin(text) == expected


def test_punctuation_becomes_pauses_espeak_knows() -> None:
    assert to_pinyin("你好，银行。对吗？") == "ni2 hao3, yin2 hang2. dui4 ma5?"
    assert to_pinyin("《通知》（今天）") == "tong1 zhi1, jin1 tian1,"


def test_other_text_is_kept_and_no_digit_touches_a_syllable() -> None:
    # A digit right after a syllable would be read as its tone.
    assert to_pinyin("用App打120") == "yong4 App da3 120"
    assert to_pinyin("Hello") == "Hello"
    assert to_pinyin("") == ""


def test_the_classifier_still_hears_single_characters_the_same() -> None:
    # The phrase table is loaded into pypinyin for speech; the classifier's sound-alike
    # matching reads single characters, which must keep their usual reading.
    usual = {"行": ("xing",), "长": ("zhang",), "还": ("hai",), "了": ("le",), "重": ("zhong",)}
    to_pinyin("银行行长还了重要的钱")
    readings.cache_clear()
    assert {c: readings(c) for c in usual} == usual


@pytest.mark.voice
@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")
def test_the_voice_reads_the_pinyin_as_written() -> None:
    def phonemes(text: str) -> str:
        done = subprocess.run(
            ["espeak-ng", "-v", "cmn-latn-pinyin", "-q", "-x", text],
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout

    # 行 as háng (X, the Mandarin h) from pinyin, where the characters give xíng (S;).
    assert "S;" in phonemes("银行").split("_|")[1]
    assert "X" in phonemes(to_pinyin("银行")).split("_|")[1]
