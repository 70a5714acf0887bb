"""One request text prepared for matching: cleaned, split into views, clauses and markers."""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field

from core.classifier.matching import Hit
from core.classifier.normalise import _CJK, clean, detect_lang, en_tokens, stem
from core.classifier.taxonomy import Taxonomy

_ZH_BREAKS = frozenset(".,;:?!~() \"")
_EN_BREAKS = frozenset(".,;:?!~()\"-")
_LATIN = re.compile(r"[a-z]")


@dataclass
class View:
    """The text in one matching language: a string (zh) or a list of stems (en)."""

    lang: str
    seq: str | list[str]
    boundaries: list[int]
    markers: dict[str, set[int]] = field(default_factory=dict)  # kind → clause ids
    lexicon_hits: list[Hit] = field(default_factory=list)

    def clause(self, pos: int) -> int:
        """The clause number of a position."""
        return bisect_right(self.boundaries, pos)

    def clause_has(self, kind: str, pos: int) -> bool:
        """Whether the clause around pos holds a marker of this kind (past, mild…)."""
        return self.clause(pos) in self.markers.get(kind, ())

    def snippet(self, hit: Hit) -> str:
        """The text of a hit, for reasons."""
        return hit.cue


@dataclass
class Doc:
    """A request ready for scoring."""

    raw: str
    text: str  # cleaned, fillers removed, typos fixed
    lang: str
    views: list[View]


def _view(lang: str, text: str, taxonomy: Taxonomy) -> View:
    if lang == "zh":
        seq: str | list[str] = text
        breaks = [i for i, ch in enumerate(text) if ch in _ZH_BREAKS]
    else:
        seq = [stem(t) for t in en_tokens(text)]
        breaks = [i for i, tok in enumerate(seq) if tok in _EN_BREAKS]
    view = View(lang, seq, breaks)
    hits = taxonomy.lexicon[lang].find(seq)
    view.lexicon_hits = hits
    # A contrast word opens a new clause ("I don't need X, I just need Y").
    extra = [h.start for h in hits if "contrast" in h.payloads or "breaks" in h.payloads]
    if extra:
        view.boundaries = sorted(set(breaks) | set(extra))
    for hit in hits:
        for kind in hit.payloads:
            view.markers.setdefault(kind, set()).add(view.clause(hit.start))
    return view


def prepare(text: str, hint: str | None, taxonomy: Taxonomy) -> Doc:
    """Clean the text, drop speech fillers, fix English typos, build the matching views."""
    cleaned = taxonomy.fillers(clean(text))
    if _LATIN.search(cleaned):
        cleaned = taxonomy.speller.text(cleaned)
    lang = detect_lang(cleaned, hint)
    views = []
    if _CJK.search(cleaned):
        views.append(_view("zh", cleaned, taxonomy))
    if _LATIN.search(cleaned):
        views.append(_view("en", cleaned, taxonomy))
    return Doc(raw=text, text=cleaned, lang=lang, views=views)
