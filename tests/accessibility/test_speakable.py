"""Times, dates and numbers are written out before speech synthesis."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from accessibility.speakable import en_number, en_ordinal, speakable, zh_number

CASES = tomllib.loads((Path(__file__).parent / "data" / "speakable.toml").read_text("utf-8"))


@pytest.mark.parametrize(
    "case", CASES["case"], ids=[f"{c['lang']}:{c['text']}" for c in CASES["case"]]
)
def test_speakable(case: dict[str, str]) -> None:
    assert speakable(case["text"], case["lang"]) == case["spoken"]


@pytest.mark.parametrize(
    ("n", "zh", "en"),
    [
        (0, "零", "zero"),
        (10, "十", "ten"),
        (21, "二十一", "twenty-one"),
        (100, "一百", "one hundred"),
        (1001, "一千零一", "one thousand one"),
        (30000, "三万", "thirty thousand"),
        (100010, "十万零一十", "one hundred thousand ten"),
        (120000000, "一亿二千万", "one hundred twenty million"),
    ],
)
def test_numbers(n: int, zh: str, en: str) -> None:
    assert zh_number(n) == zh
    assert en_number(n) == en


@pytest.mark.parametrize(
    ("n", "word"),
    [(1, "first"), (2, "second"), (12, "twelfth"), (20, "twentieth"), (23, "twenty-third")],
)
def test_ordinals(n: int, word: str) -> None:
    assert en_ordinal(n) == word


def test_no_digits_left() -> None:
    text = "明天9:30，2026-11-22，第3次，电话13800001111，花了2.5小时，完成80%"
    assert not any(ch.isdigit() for ch in speakable(text, "zh"))
    text = "At 9:30 on 2026-11-22, the 3rd time, call 13800001111, 2.5 hours, 80%"
    assert not any(ch.isdigit() for ch in speakable(text, "en"))
