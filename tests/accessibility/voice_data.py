"""Shared helpers for the voice tests: the sentence data, round-trip records, WER/CER units."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).parent / "data"


def sentences(lang: str) -> list[str]:
    """The request sentences of tests/accessibility/data/requests_<lang>.txt."""
    lines = (DATA / f"requests_{lang}.txt").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


@dataclass(frozen=True)
class RoundTrip:
    """One sentence spoken by our TTS and heard by our STT."""

    text: str
    heard: str
    lang: str  # the language the STT settled on
    duration: float
    seconds: float


def words(text: str) -> list[str]:
    """English words for WER: lower case, no punctuation."""
    return re.sub(r"[^\w\s']", " ", text.lower()).split()


def chars(text: str) -> list[str]:
    """Chinese characters for CER: no punctuation or spaces, simplified."""
    from opencc import OpenCC

    return list(re.sub(r"[\W_]+", "", OpenCC("t2s").convert(text)))
