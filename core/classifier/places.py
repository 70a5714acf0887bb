"""Place names (community, street, landmark) matched against the area tree, typo-tolerant."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz

from core.classifier.model import Place
from core.classifier.normalise import _CJK, clean

_ZH_SUFFIXES = ("居委会", "社区", "小区", "街道", "新村", "花园", "家园", "公寓", "大厦", "广场",
                "街", "路", "镇", "村", "区", "苑", "里", "园")
_EN_SUFFIXES = ("community", "estate", "street", "st", "road", "rd", "district", "town",
                "village", "gardens", "garden", "court", "block", "avenue", "ave", "lane",
                "square", "park", "subdistrict", "neighbourhood", "neighborhood")
_EN_WORD = re.compile(r"[a-z0-9]+")
# Scores (0..1) of the ways a name can be found; below MIN_SCORE nothing is reported.
EXACT, CORE_WITH_SUFFIX, MIN_SCORE = 1.0, 0.88, 0.8
FUZZY_CUTOFF = 84.0


@dataclass(frozen=True)
class _Name:
    area_id: int
    name_zh: str
    name_en: str
    form: str  # cleaned name or alias
    core: str  # the name without its generic suffix
    zh: bool


def _core(form: str, zh: bool) -> str:
    if zh:
        for suffix in _ZH_SUFFIXES:
            if form.endswith(suffix) and len(form) - len(suffix) >= 2:
                return form[: -len(suffix)]
        return form
    words = form.split()
    while len(words) > 1 and words[-1] in _EN_SUFFIXES:
        words.pop()
    return " ".join(words)


class AreaIndex:
    """Area names, aliases and their cores, indexed for fast lookup in request texts."""

    def __init__(self, names: list[_Name]) -> None:
        self._names = names
        self._by_bigram: dict[str, set[int]] = defaultdict(set)
        self._by_word: dict[str, set[int]] = defaultdict(set)
        for i, name in enumerate(names):
            if name.zh:
                for j in range(len(name.core) - 1):
                    self._by_bigram[name.core[j : j + 2]].add(i)
            else:
                for word in _EN_WORD.findall(name.core):
                    if len(word) >= 3:
                        self._by_word[word[:3]].add(i)

    @classmethod
    def from_areas(cls, areas: Iterable[Any]) -> AreaIndex:
        """Build once from Area rows (id, name_zh, name_en, aliases) and reuse."""
        names: list[_Name] = []
        for area in areas:
            if area.id is None:
                continue
            forms = [area.name_zh, area.name_en, *(area.aliases or [])]
            for form in dict.fromkeys(clean(f) for f in forms if f and f.strip()):
                zh = bool(_CJK.search(form))
                if not zh:
                    form = " ".join(_EN_WORD.findall(form))
                if len(form) < (2 if zh else 3):
                    continue
                names.append(
                    _Name(area.id, area.name_zh, area.name_en, form, _core(form, zh), zh)
                )
        return cls(names)

    def __len__(self) -> int:
        return len({n.area_id for n in self._names})

    def _candidates(self, text: str) -> set[int]:
        found: set[int] = set()
        if _CJK.search(text):
            for j in range(len(text) - 1):
                found |= self._by_bigram.get(text[j : j + 2], set())
        for word in _EN_WORD.findall(text):
            if len(word) >= 3:
                found |= self._by_word.get(word[:3], set())
        return found

    def match(self, text: str, lang: str = "zh") -> Place | None:
        """The best area named in a cleaned text, or None when no name scores high enough."""
        best: tuple[float, int, _Name, str] | None = None
        for i in self._candidates(text):
            name = self._names[i]
            score, found = self._score(name, text)
            if score >= MIN_SCORE and (best is None or (score, len(found)) > (best[0], best[1])):
                best = (score, len(found), name, found)
        if best is None:
            return None
        score, _, name, found = best
        shown = name.name_zh if lang == "zh" else name.name_en
        return Place(area_id=name.area_id, name=shown, score=round(score, 3), text=found)

    @staticmethod
    def _score(name: _Name, text: str) -> tuple[float, str]:
        if name.zh:
            if name.form in text:
                return EXACT, name.form
            pos = text.find(name.core)
            if pos >= 0 and name.core != name.form:
                rest = text[pos + len(name.core) : pos + len(name.core) + 3]
                if any(rest.startswith(s) for s in _ZH_SUFFIXES):
                    suffix = next(s for s in _ZH_SUFFIXES if rest.startswith(s))
                    return CORE_WITH_SUFFIX, name.core + suffix
            if len(name.form) >= 3:
                hit = fuzz.partial_ratio_alignment(name.form, text, score_cutoff=FUZZY_CUTOFF)
                if hit is not None:
                    return hit.score / 100 * 0.95, text[hit.dest_start : hit.dest_end]
            return 0.0, ""
        padded = f" {' '.join(_EN_WORD.findall(text))} "
        if f" {name.form} " in padded:
            return EXACT, name.form
        if name.core != name.form and len(name.core) >= 4 and f" {name.core} " in padded:
            return CORE_WITH_SUFFIX, name.core
        if len(name.form) >= 6:
            hit = fuzz.partial_ratio_alignment(name.form, padded, score_cutoff=FUZZY_CUTOFF + 4)
            if hit is not None:
                return hit.score / 100 * 0.95, padded[hit.dest_start : hit.dest_end].strip()
        return 0.0, ""
