"""Chinese text → tone-numbered pinyin, which espeak-ng's cmn-latn-pinyin voice reads best.

Given characters, espeak-ng reads each one by its own dictionary, one reading per character:
银行 comes out as yín-xíng, 一个 as yī-gè, 不是 as bù-shì. pypinyin's phrase dictionary knows
the reading of a character in its word (yín-háng) and the tone changes of connected speech
(yí-gè, bú-shì; two third tones in a row); the voice reads "yin2 hang2" exactly as written
(its language file has no "dictrules", so Latin letters are read as pinyin).
"""

from __future__ import annotations

import re
import threading
from typing import Any

_HAN_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
# Chinese punctuation → ASCII punctuation, which espeak-ng turns into the right pauses when
# reading pinyin (it does not know the full-width forms there). Quotes and brackets: a space.
_PUNCT = str.maketrans(
    {
        "，": ", ", "、": ", ", "。": ". ", "？": "? ", "！": "! ", "；": "; ", "：": ": ",
        "…": ". ", "—": ", ", "～": " ", "“": " ", "”": " ", "‘": " ", "’": " ",
        "《": " ", "》": " ", "（": ", ", "）": ", ", "【": " ", "】": " ", "·": " ",
    }
)
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([,.?!;:])")
_load_lock = threading.Lock()
_pypinyin: Any = None


def _loaded() -> Any:
    """pypinyin with its phrase dictionary, loaded on first use (45-55 MB of memory, 0.25 s;
    the classifier skips it, see core/classifier/phonetic.py, so only a process that speaks
    Chinese pays)."""
    global _pypinyin
    with _load_lock:
        if _pypinyin is None:
            import pypinyin
            from pypinyin import phrases_dict
            from pypinyin.constants import PHRASES_DICT

            if not PHRASES_DICT:
                # pypinyin was imported with PYPINYIN_NO_PHRASES set (by the classifier):
                # add the phrases now. Single characters keep their readings, so the
                # classifier's sound-alike matching is unchanged.
                pypinyin.load_phrases_dict(phrases_dict.phrases_dict)
            _pypinyin = pypinyin
        return _pypinyin


def _syllables(run: str) -> list[str]:
    pypinyin = _loaded()
    return pypinyin.lazy_pinyin(
        run,
        style=pypinyin.Style.TONE3,  # tone digits: "hang2"; ü as v: "lv4"
        neutral_tone_with_five=True,  # 的 → de5, so every syllable carries its tone
        tone_sandhi=True,
        errors="ignore",
    )


def to_pinyin(text: str) -> str:
    """Chinese characters as tone-numbered pinyin syllables ("银行。" → "yin2 hang2."); other
    text (Latin words, numbers) is kept, separated by spaces so no digit reads as a tone."""
    parts: list[str] = []
    last = 0
    for match in _HAN_RUN.finditer(text):
        parts.append(text[last : match.start()].translate(_PUNCT))
        parts.append(" " + " ".join(_syllables(match.group())) + " ")
        last = match.end()
    parts.append(text[last:].translate(_PUNCT))
    spoken = " ".join("".join(parts).split())
    return _SPACE_BEFORE_PUNCT.sub(r"\1", spoken)
