"""Fast phrase matching: leftmost-longest, non-overlapping, over Chinese chars or English stems."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from core.classifier.normalise import en_tokens, stem


@dataclass(frozen=True, slots=True)
class Hit:
    """One cue found in a text: its position (char or token index) and its payloads."""

    cue: str
    start: int
    end: int
    payloads: tuple[Any, ...]


def en_key(phrase: str) -> tuple[str, ...]:
    """The stemmed token sequence a phrase is matched by."""
    return tuple(stem(t) for t in en_tokens(phrase.lower()))


class PhraseMatcher:
    """Finds many cues in one pass; a longer cue hides the shorter ones inside it."""

    def __init__(self, lang: str, entries: Iterable[tuple[str, Any]]) -> None:
        self.lang = lang
        table: dict[Any, list[Any]] = defaultdict(list)
        for phrase, payload in entries:
            phrase = phrase.strip().lower()
            if not phrase:
                continue
            key: Any = phrase if lang == "zh" else en_key(phrase)
            if key:
                table[key].append(payload)
        # First element → the distinct cue lengths starting with it (longest first), and
        # every cue → (label, payloads): a lookup per length instead of a scan per cue.
        lengths: dict[Any, set[int]] = defaultdict(set)
        entries: dict[Any, tuple[str, tuple[Any, ...]]] = {}
        for key, payloads in table.items():
            label = key if isinstance(key, str) else " ".join(key)
            lengths[key[0]].add(len(key))
            entries[key] = (label, tuple(dict.fromkeys(payloads)))
        self._lengths = {k: sorted(v, reverse=True) for k, v in lengths.items()}
        self._entries = entries

    def find(self, seq: str | list[str]) -> list[Hit]:
        """All hits in a normalised Chinese string or a list of English stems."""
        hits: list[Hit] = []
        lengths = self._lengths
        entries = self._entries
        text = isinstance(seq, str)
        n = len(seq)
        i = 0
        while i < n:
            sizes = lengths.get(seq[i])
            if sizes:
                for k in sizes:
                    key = seq[i : i + k] if text else tuple(seq[i : i + k])
                    entry = entries.get(key)
                    if entry is not None:
                        hits.append(Hit(entry[0], i, i + k, entry[1]))
                        i += k
                        break
                else:
                    i += 1
            else:
                i += 1
        return hits
