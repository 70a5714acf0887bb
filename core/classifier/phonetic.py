"""Sound-alike matching for Chinese: a cue still counts when a transcript holds a homophone.

Speech recognition writes words as other characters with the same sound: 轮椅 comes out as
伦疑, 聋人 as 龙人, 表格 as 表哥. For speech transcripts (classify(..., spoken=True)) the
Chinese cues are therefore also matched by toneless pinyin (each character's usual reading,
from pypinyin), with the "fuzzy pinyin" pairs of input methods (z/zh, c/ch, s/sh, n/l,
an/ang, en/eng, in/ing) for cues of three or more syllables. Only the parts of a transcript
that no character cue explains are searched, and typed text never is.
"""

from __future__ import annotations

import os
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from rapidfuzz.distance import Levenshtein

from core.classifier.matching import Hit

_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
# A syllable heard the same up to the fuzzy pairs scores this much; a different one scores
# its letter similarity times DIFFERENT (so "tian" for "ting" is partial evidence only).
FUZZY_SIM, DIFFERENT = 0.9, 0.7
# Homophones abound in Chinese, so the rules are strict. A two-syllable cue needs a true
# (toneless) homophone; a longer one needs every syllable to sound alike up to the fuzzy
# pairs, or all but one to be true homophones and that one to be at least PARTIAL alike.
EXACT, SAME, PARTIAL = 1.0, 0.9, 0.4
MAX_CUE_CHARS = 8


@lru_cache(maxsize=1)
def _pinyin() -> Any:
    # pypinyin's phrase table costs ~45 MB of memory; per-character readings are what
    # sound-alike matching needs, and pypinyin's FAQ documents this switch to skip it.
    os.environ.setdefault("PYPINYIN_NO_PHRASES", "true")
    import pypinyin

    return pypinyin


@lru_cache(maxsize=16384)
def readings(char: str) -> tuple[str, ...]:
    """The toneless pinyin of one Chinese character, its usual reading only (empty for
    anything else): rare readings (声 as "qing") would make everything sound alike."""
    if not _HAN.fullmatch(char):
        return ()
    pypinyin = _pinyin()
    found = pypinyin.lazy_pinyin(char, style=pypinyin.Style.NORMAL, errors="ignore")
    return tuple(r.lower() for r in found[:1] if r.isalpha())


@lru_cache(maxsize=4096)
def fuzzy(syllable: str) -> str:
    """The syllable with the fuzzy-pinyin pairs merged (zh→z, n→l, ang→an, ing→in…)."""
    s = syllable
    if s[:2] in ("zh", "ch", "sh"):
        s = s[0] + s[2:]
    elif s[:1] == "n" and s[:2] != "ng":
        s = "l" + s[1:]
    if s.endswith("ng") and not s.endswith("ong"):
        s = s[:-1]
    return s


@lru_cache(maxsize=65536)
def syllable_sim(a: str, b: str) -> float:
    """How alike two toneless syllables sound, 0..1."""
    if a == b:
        return 1.0
    fa, fb = fuzzy(a), fuzzy(b)
    if fa == fb:
        return FUZZY_SIM
    return DIFFERENT * Levenshtein.normalized_similarity(fa, fb)


def _best(a: Sequence[str], b: Sequence[str]) -> float:
    return max((syllable_sim(x, y) for x in a for y in b), default=0.0)


@dataclass(frozen=True, slots=True)
class _Cue:
    text: str
    sounds: tuple[tuple[str, ...], ...]  # readings per character
    payloads: tuple[Any, ...]


def _sounds_like(sims: list[float]) -> bool:
    """Whether per-syllable similarities make a window sound like a cue (rules above)."""
    size = len(sims)
    if size == 2:
        return min(sims) >= EXACT
    if min(sims) >= SAME:
        return True
    exact = sum(s >= EXACT for s in sims)
    return exact >= size - 1 and min(sims) >= PARTIAL


class SoundIndex:
    """Chinese cues by sound; find() returns the cues a text sounds like where its own
    characters matched nothing.

    `known`: words the text may hold as written (in-domain phrases such as 没反应); a window
    spelling one of them is taken at its word, not as a misheard cue (反映).
    """

    def __init__(
        self,
        entries: Iterable[tuple[str, Any]],
        known: Iterable[str] = (),
        min_chars: int = 2,
    ) -> None:
        self._known = frozenset(known)
        payloads: dict[str, list[Any]] = defaultdict(list)
        for text, payload in entries:
            text = text.strip()
            if min_chars <= len(text) <= MAX_CUE_CHARS and all(_HAN.fullmatch(c) for c in text):
                payloads[text].append(payload)
        self._cues: list[_Cue] = []
        # fuzzy syllable → (cue number, position in the cue): a window is a candidate when
        # enough of its syllables hit the same cue at consistent positions.
        self._postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for text, found in payloads.items():
            sounds = tuple(readings(c) for c in text)
            if not all(sounds):
                continue
            number = len(self._cues)
            self._cues.append(_Cue(text, sounds, tuple(dict.fromkeys(found))))
            for offset, options in enumerate(sounds):
                for key in {fuzzy(s) for s in options}:
                    self._postings[key].append((number, offset))

    def __len__(self) -> int:
        return len(self._cues)

    def find(self, text: str, covered: Iterable[tuple[int, int]] = ()) -> list[tuple[Hit, float]]:
        """(hit, similarity) for the cues heard in text outside the covered spans; a longer
        cue hides the shorter ones it overlaps, as with characters."""
        blocked = [False] * len(text)
        for start, end in covered:
            for i in range(max(start, 0), min(end, len(text))):
                blocked[i] = True
        sounds = [() if blocked[i] else readings(ch) for i, ch in enumerate(text)]
        votes: dict[tuple[int, int], int] = defaultdict(int)
        for i, options in enumerate(sounds):
            seen: set[tuple[int, int]] = set()
            for key in {fuzzy(s) for s in options}:
                for number, offset in self._postings.get(key, ()):
                    start = i - offset
                    if start >= 0 and (number, start) not in seen:
                        seen.add((number, start))
                        votes[(number, start)] += 1
        found: list[tuple[int, int, float, _Cue]] = []
        for (number, start), count in votes.items():
            cue = self._cues[number]
            size = len(cue.sounds)
            if count < max(size - 1, 2) or start + size > len(text):
                continue
            window = sounds[start : start + size]
            written = text[start : start + size]
            if not all(window) or written == cue.text or written in self._known:
                continue  # crosses a covered span or a non-Chinese character, or is a word
            sims = [_best(heard, said) for heard, said in zip(window, cue.sounds, strict=True)]
            if _sounds_like(sims):
                found.append((start, start + size, sum(sims) / size, cue))
        found.sort(key=lambda f: (f[1] - f[0], f[2]), reverse=True)
        taken = [False] * len(text)
        hits: list[tuple[Hit, float]] = []
        for start, end, mean, cue in found:
            if any(taken[start:end]):
                continue
            for i in range(start, end):
                taken[i] = True
            hits.append((Hit(cue.text, start, end, cue.payloads), mean))
        hits.sort(key=lambda h: h[0].start)
        return hits
