"""Reply modes per resident: text, voice, large text, easy-read — and when voice is allowed."""

from __future__ import annotations

from collections.abc import Iterable

from core.models.enums import Mode

MODES: tuple[str, ...] = tuple(m.value for m in Mode)
# Words people and other systems use for the official categories.
_ALIASES = {
    "blind": "visual",
    "vision": "visual",
    "visually_impaired": "visual",
    "partially_sighted": "low_vision",
    "deaf": "hearing",
    "hard_of_hearing": "hearing",
    "deafblind": "deafblind",
    "learning": "intellectual",
}


def normalise_types(disability_types: Iterable[str] | None) -> set[str]:
    """Lower-cased disability ids with common aliases mapped to the official ones."""
    out: set[str] = set()
    for raw in disability_types or ():
        name = str(raw).strip().lower().replace("-", "_").replace(" ", "_")
        name = _ALIASES.get(name, name)
        if name == "deafblind":
            out.update({"visual", "hearing"})
        elif name:
            out.add(name)
    return out


def default_mode(disability_types: list[str]) -> str:
    """The mode a new resident starts in: visual → voice, low vision → large text,
    hearing → text (never voice), intellectual → easy-read, otherwise text."""
    types = normalise_types(disability_types)
    hearing = "hearing" in types
    if "visual" in types and not hearing:
        return Mode.voice.value
    if "low_vision" in types:
        return Mode.large_text.value
    if "intellectual" in types:
        return Mode.easy_read.value
    # Deaf-blind people read text on a braille display, so they get plain text.
    return Mode.text.value


def allows_voice(disability_types: list[str], mode: str) -> bool:
    """Whether a voice message may be sent: only in voice mode, and never to a deaf person."""
    if "hearing" in normalise_types(disability_types):
        return False
    return mode == Mode.voice.value


def effective_mode(disability_types: list[str], mode: str | None) -> str:
    """The chosen mode when valid and safe, else the default for the disability types."""
    if mode in MODES and not (
        mode == Mode.voice.value and not allows_voice(disability_types, mode)
    ):
        return str(mode)
    if mode == Mode.voice.value:
        return Mode.text.value
    return default_mode(disability_types)
