"""Easy-read: short sentences, one idea per message."""

from __future__ import annotations

import re

from core.texts import normalise_lang

# Sentence ends: CJK stops anywhere, Latin ones before a space (so 2.5 and e.g. stay whole).
_SENTENCE_END = re.compile(r"(?<=[。！？])(?![”’」』）)])|(?<=[.!?])\s+|\n+")
_CLAUSE = re.compile(r"[^，,；;：:]+[，,；;：:]?")
# Longer than this, a sentence is cut at its commas (characters for zh, words for en).
MAX_ZH_CHARS = 18
MAX_EN_WORDS = 12


def _too_long(sentence: str, lang: str) -> bool:
    if lang == "zh":
        return len(re.sub(r"\s", "", sentence)) > MAX_ZH_CHARS
    return len(sentence.split()) > MAX_EN_WORDS


def _close(clause: str, lang: str) -> str:
    """A clause cut from a longer sentence ends with a full stop, not a comma."""
    clause = clause.strip().rstrip("，,；;：:")
    if clause and clause[-1] not in "。！？!?.":
        clause += "。" if lang == "zh" else "."
    if lang == "en" and clause[:1].islower():
        clause = clause[0].upper() + clause[1:]
    return clause


def split_messages(text: str, lang: str | None) -> list[str]:
    """The text as a list of short messages, one sentence (one idea) each."""
    code = normalise_lang(lang)
    messages: list[str] = []
    for part in _SENTENCE_END.split(text):
        sentence = part.strip()
        if not sentence:
            continue
        if not _too_long(sentence, code):
            messages.append(sentence)
            continue
        # Too long: pack its clauses greedily into sentences that are short enough.
        chunk = ""
        for clause in (c.strip() for c in _CLAUSE.findall(sentence)):
            joiner = "" if code == "zh" else " "
            candidate = f"{chunk}{joiner}{clause}" if chunk else clause
            if chunk and _too_long(candidate, code):
                messages.append(_close(chunk, code))
                chunk = clause
            else:
                chunk = candidate
        if chunk:
            messages.append(_close(chunk, code))
    return messages or ([text.strip()] if text.strip() else [])


def is_question(text: str) -> bool:
    """Whether the (last sentence of the) text asks something."""
    return text.rstrip().endswith(("?", "？"))
