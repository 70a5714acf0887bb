"""Text clean-up before matching: script, width, case, punctuation, speech fillers, typos."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from opencc import OpenCC

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[a-z]{2,}")
# Full-width ASCII block → ASCII; ideographic space → space.
_HALF = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
_PUNCT = str.maketrans(
    {
        "。": ".", "，": ",", "、": ",", "；": ";", "：": ":", "？": "?", "！": "!",
        "“": '"', "”": '"', "‘": "'", "’": "'", "（": "(", "）": ")", "…": ".",
        "—": "-", "–": "-", "～": "~", "\n": ".", "\r": " ", "\t": " ",
    }
)
_SPACES = re.compile(r"[ ]{2,}")
_REPEAT_PUNCT = re.compile(r"([.,;:?~-])\1+")
EN_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[^\sa-z0-9]")
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
# Chat and speech transcripts drop apostrophes; the cues are written with them.
_CONTRACTIONS = {
    w.replace("'", ""): w
    for w in (
        "isn't", "can't", "don't", "won't", "doesn't", "didn't", "couldn't", "wouldn't",
        "shouldn't", "aren't", "wasn't", "weren't", "hasn't", "haven't", "i'm", "i've", "i'll",
        "that's", "there's", "what's", "you're", "they're", "she's", "let's",
    )
}


@lru_cache(maxsize=1)
def _t2s() -> OpenCC:
    return OpenCC("t2s")


def detect_lang(text: str, hint: str | None = None) -> str:
    """'zh' when the text has Chinese characters (two or more), else 'en'; hint breaks ties."""
    cjk = len(_CJK.findall(text))
    if cjk >= 2 or (cjk == 1 and not _LATIN_WORD.search(text)):
        return "zh"
    if _LATIN_WORD.search(text):
        return "en"
    return hint if hint in ("zh", "en") else "zh"


def clean(text: str) -> str:
    """Width, script (traditional → simplified), case and punctuation normalised."""
    out = text.translate(_HALF).translate(_PUNCT).lower()
    if _CJK.search(out):
        out = _t2s().convert(out)
    out = _REPEAT_PUNCT.sub(r"\1", out)
    return _SPACES.sub(" ", out).strip()


class FillerRemover:
    """Removes speech-transcript fillers ('嗯', '那个', 'um', 'you know')."""

    def __init__(self, zh: Iterable[str], en: Iterable[str]) -> None:
        zh_sorted = sorted({w for w in zh if w}, key=len, reverse=True)
        en_sorted = sorted({w.strip(",") for w in en if w}, key=len, reverse=True)
        self._zh = re.compile("|".join(re.escape(w) for w in zh_sorted)) if zh_sorted else None
        # English fillers only as whole words, with an optional comma after them.
        self._en = (
            re.compile(
                r"(?<![a-z'])(?:" + "|".join(re.escape(w) for w in en_sorted) + r")(?![a-z'])[,]?"
            )
            if en_sorted
            else None
        )

    def __call__(self, text: str) -> str:
        out = text
        if self._zh is not None and _CJK.search(out):
            out = self._zh.sub("", out)
        if self._en is not None:
            out = self._en.sub(" ", out)
        return _SPACES.sub(" ", out).strip(" ,")


# Words whose final "s" is not a plural ("sometimes" is not "sometime").
_KEEP = frozenset(
    {
        "afterwards", "always", "besides", "boss", "bus", "christmas", "crutches", "diabetes",
        "does", "gas", "glasses", "has", "his", "its", "lens", "less", "miss", "news", "perhaps",
        "plus", "scissors", "series", "sometimes", "species", "stairs", "thanks", "this",
        "towards", "trousers", "was", "whereas", "yes"
    }
)


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A deliberately crude English stemmer, applied alike to cues and to text."""
    w = word[:-2] if word.endswith("'s") else word
    if len(w) <= 3 or not w.isalpha() or w in _KEEP:
        return w
    if len(w) == 4:
        return w[:-1] if w.endswith("s") and not w.endswith(("ss", "us", "is")) else w
    if w.endswith("ies") and len(w) > 5:
        return w[:-3] + "y"
    if w.endswith("ied") and len(w) > 5:
        return w[:-3] + "y"
    # No "-er": it would make "cooker" a "cook" and "water" a "wat".
    for suffix in ("ing", "ed"):
        if w.endswith(suffix) and len(w) - len(suffix) >= 4:
            base = w[: -len(suffix)]
            if len(base) >= 4 and base[-1] == base[-2] and base[-1] not in "lsz":
                base = base[:-1]
            return base
    if w.endswith("es") and w[-3] in "sxz" or w.endswith(("ches", "shes")):
        return w[:-2]
    if w.endswith("s") and not w.endswith(("ss", "us", "is")):
        return w[:-1]
    if w.endswith("ly") and len(w) > 5:
        return w[:-2]
    return w


def en_tokens(text: str) -> list[str]:
    """English tokens (words, numbers, single punctuation marks)."""
    return EN_TOKEN.findall(text)


class Speller:
    """Fixes typos against the taxonomy vocabulary ('tommorow' → 'tomorrow')."""

    def __init__(self, vocabulary: Iterable[str], cutoff: float = 85.0) -> None:
        self._vocab = sorted({w for w in vocabulary if w.isalpha()})
        self._known = frozenset(self._vocab) | {stem(w) for w in self._vocab}
        # Typos rarely hit the first letter: compare only with words sharing it.
        self._by_initial: dict[str, list[str]] = {}
        for w in self._vocab:
            self._by_initial.setdefault(w[0], []).append(w)
        self._cutoff = cutoff
        self._fix = lru_cache(maxsize=20000)(self._lookup)

    def _lookup(self, word: str) -> str:
        from rapidfuzz import fuzz, process

        pool = [w for w in self._by_initial.get(word[0], ()) if abs(len(w) - len(word)) <= 2]
        found = process.extractOne(word, pool, scorer=fuzz.ratio, score_cutoff=self._cutoff)
        return found[0] if found else word

    def word(self, word: str) -> str:
        """The word itself when known or short, else its closest vocabulary word."""
        if len(word) < 5 or word in self._known or stem(word) in self._known:
            return word
        return self._fix(word)

    def text(self, text: str) -> str:
        """Every latin word of the text corrected (and apostrophes put back: "cant")."""
        return _WORD.sub(lambda m: _CONTRACTIONS.get(m.group()) or self.word(m.group()), text)
