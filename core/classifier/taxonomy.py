"""Loads the request taxonomy (prompts/taxonomy/*.toml) into ready-to-use matchers."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from importlib.abc import Traversable
from typing import Any

from core.classifier.matching import PhraseMatcher, en_key
from core.classifier.normalise import FillerRemover, Speller, clean
from core.classifier.phonetic import SoundIndex

LANGS = ("zh", "en")
# Weight of each kind of category cue (negative cues subtract).
CUE_WEIGHTS: dict[str, float] = {"strong": 3.0, "keywords": 2.0, "synonyms": 1.0, "negative": -1.5}
_WORDS = re.compile(r"[a-z]+")
LEXICON_KINDS = ("need_negation", "contrast", "breaks", "past", "mild")
EMERGENCY_KINDS = ("strong", "weak", "hint", "now", "safe", "routine", "mask")


@dataclass
class Taxonomy:
    """Everything the classifier reads from prompts/taxonomy, compiled once."""

    categories: list[str]
    category_skills: dict[str, list[str]]
    priors: dict[str, float]
    phrasings: list[tuple[str, str, str]]  # (lang, category, cleaned text)
    cues: dict[str, PhraseMatcher]
    cue_list: dict[str, list[tuple[str, tuple[str, float, str]]]]
    lexicon: dict[str, PhraseMatcher]
    emergency: dict[str, PhraseMatcher]
    emergency_weights: dict[str, float]
    urgency: dict[str, PhraseMatcher]
    urgent_hours: float
    skill_cues: dict[str, PhraseMatcher]
    disability_skills: dict[str, tuple[list[str], set[str]]]
    cue_scope: dict[str, set[str]]
    profile_priors: dict[str, dict[str, float]]
    fillers: FillerRemover
    speller: Speller
    cue_sounds: SoundIndex  # the positive Chinese category cues, matched by sound
    stop_words: frozenset[str] = field(default_factory=frozenset)


def _root() -> Traversable:
    return resources.files("prompts").joinpath("taxonomy")


def _read(node: Traversable) -> dict[str, Any]:
    return tomllib.loads(node.read_text(encoding="utf-8"))


def _category_files() -> list[dict[str, Any]]:
    folder = _root().joinpath("categories")
    files = sorted((e for e in folder.iterdir() if e.name.endswith(".toml")), key=lambda e: e.name)
    return [_read(e) for e in files]


def _words(texts: list[str]) -> set[str]:
    return {w for t in texts for w in _WORDS.findall(t.lower())}


def _lift_contained(
    lang: str, entries: list[tuple[str, tuple[str, float, str]]]
) -> list[tuple[str, tuple[str, float, str]]]:
    """A long cue hides the short cues inside it when matched. So it takes over their weight
    for its own category ("office job" counts like "job"), and a cue that only speaks
    against a category passes on the positive cues inside it ("陪我去医院" is a negative
    cue of health but still an escort cue)."""
    key_of = (lambda c: c) if lang == "zh" else en_key
    best: dict[object, dict[str, float]] = {}
    kinds_of: dict[object, set[str]] = {}
    for cue, (cat, weight, kind) in entries:
        key = key_of(cue)
        if weight > 0:
            per_cat = best.setdefault(key, {})
            per_cat[cat] = max(per_cat.get(cat, weight), weight)
        kinds_of.setdefault(key, set()).add("positive" if weight > 0 else kind)
    out = []
    inherited: set[object] = set()
    for cue, (cat, weight, kind) in entries:
        key = key_of(cue)
        inner: dict[str, float] = {}
        for size in range(1, len(key)):
            for start in range(len(key) - size + 1):
                for c, w in best.get(key[start : start + size], {}).items():
                    inner[c] = max(inner.get(c, 0.0), w)
        if weight > 0 and inner.get(cat, 0.0) > weight:
            weight, kind = inner[cat], f"{kind}+"
        out.append((cue, (cat, weight, kind)))
        if kinds_of[key] == {"negative"} and key not in inherited:
            inherited.add(key)
            out.extend((cue, (c, w, "inner")) for c, w in inner.items() if c != cat)
    return out


def _ngrams(texts: Iterable[str], sizes: tuple[int, ...] = (2, 3, 4)) -> set[str]:
    """Every 2-4 character substring of the texts (the words our own phrasings use)."""
    return {t[i : i + k] for t in texts for k in sizes for i in range(len(t) - k + 1)}


@lru_cache(maxsize=1)
def load_taxonomy() -> Taxonomy:
    """The taxonomy, read from the `prompts` package and compiled (cached for the process)."""
    from core.classifier.timeparse import EN_TIME_WORDS

    root = _root()
    lexicon_data = _read(root.joinpath("lexicon.toml"))
    emergency_data = _read(root.joinpath("emergency.toml"))
    urgency_data = _read(root.joinpath("urgency.toml"))
    skills_data = _read(root.joinpath("skills.toml"))
    profile_data = _read(root.joinpath("profile.toml"))

    categories: list[str] = []
    category_skills: dict[str, list[str]] = {}
    priors: dict[str, float] = {}
    phrasings: list[tuple[str, str, str]] = []
    cue_entries: dict[str, list[tuple[str, Any]]] = {lang: [] for lang in LANGS}
    en_texts: list[str] = []
    for data in _category_files():
        cat = data["id"]
        categories.append(cat)
        skills = list(data.get("skills", [])) + list(skills_data.get("category", {}).get(cat, []))
        category_skills[cat] = list(dict.fromkeys(skills))
        priors[cat] = float(data.get("prior", 0.0))
        for lang in LANGS:
            table = data.get(lang, {})
            for kind, weight in CUE_WEIGHTS.items():
                for cue in table.get(kind, []):
                    cue_entries[lang].append((clean(cue), (cat, weight, kind)))
                    if lang == "en":
                        en_texts.append(cue)
            for text in table.get("phrasings", []):
                phrasings.append((lang, cat, clean(text)))
                if lang == "en":
                    en_texts.append(text)

    for lang in LANGS:
        cue_entries[lang] = _lift_contained(lang, cue_entries[lang])
    for lang in LANGS:
        # Neutral words go into the cue matcher with no category, only to hide their insides.
        for word in lexicon_data[lang].get("neutral", []):
            cue_entries[lang].append((clean(word), ("", 0.0, "neutral")))

    def matcher(lang: str, groups: dict[str, list[str]]) -> PhraseMatcher:
        entries = [(clean(cue), kind) for kind, cues in groups.items() for cue in cues]
        if lang == "en":
            en_texts.extend(cue for cues in groups.values() for cue in cues)
        return PhraseMatcher(lang, entries)

    lexicon = {
        lang: matcher(
            lang,
            {k: lexicon_data[lang].get(k, []) for k in LEXICON_KINDS},
        )
        for lang in LANGS
    }
    emergency = {
        lang: matcher(
            lang,
            {k: emergency_data[lang].get(k, []) for k in EMERGENCY_KINDS},
        )
        for lang in LANGS
    }
    urgency = {
        lang: matcher(
            lang,
            {
                k: urgency_data[lang].get(k, [])
                for k in ("urgent", "not_urgent", "flexible_strong", "flexible_weak")
            },
        )
        for lang in LANGS
    }
    skill_cues = {
        lang: matcher(lang, dict(skills_data.get("cue", {}).get(lang, {}))) for lang in LANGS
    }
    disability_skills = {
        name: (list(entry.get("skills", [])), set(entry.get("categories", [])))
        for name, entry in skills_data.get("disability", {}).items()
    }
    stop = frozenset(lexicon_data["en"].get("stop", []))
    vocabulary = _words(en_texts) | stop | set(EN_TIME_WORDS)
    return Taxonomy(
        categories=categories,
        category_skills=category_skills,
        priors=priors,
        phrasings=phrasings,
        cues={lang: PhraseMatcher(lang, cue_entries[lang]) for lang in LANGS},
        cue_list=cue_entries,
        lexicon=lexicon,
        emergency=emergency,
        emergency_weights={
            "strong": float(emergency_data.get("strong_weight", 3.0)),
            "weak": float(emergency_data.get("weak_weight", 1.1)),
            "hint": float(emergency_data.get("hint_weight", 0.6)),
            "now": float(emergency_data.get("now_bonus", 0.6)),
            "threshold": float(emergency_data.get("threshold", 3.0)),
            "routine": float(emergency_data.get("routine_factor", 0.5)),
        },
        urgency=urgency,
        urgent_hours=float(urgency_data.get("urgent_hours", 12)),
        skill_cues=skill_cues,
        disability_skills=disability_skills,
        cue_scope={k: set(v) for k, v in skills_data.get("cue_scope", {}).items()},
        profile_priors={
            k: {c: float(w) for c, w in v.items()} for k, v in profile_data.get("prior", {}).items()
        },
        fillers=FillerRemover(
            lexicon_data["zh"].get("fillers", []), lexicon_data["en"].get("fillers", [])
        ),
        speller=Speller(vocabulary),
        # Emergency is decided by emergency.toml's rules alone, never by a sound-alike.
        cue_sounds=SoundIndex(
            (
                (cue, payload)
                for cue, payload in cue_entries["zh"]
                if payload[0] and payload[0] != "emergency" and payload[1] > 0
            ),
            known=_ngrams(text for lang, _cat, text in phrasings if lang == "zh"),
        ),
        stop_words=stop,
    )
