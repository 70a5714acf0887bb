"""The fixed list of volunteer and team skill ids."""

from __future__ import annotations

SKILLS: tuple[str, ...] = (
    "sign_language",
    "braille",
    "guiding",
    "wheelchair",
    "first_aid",
    "driving",
    "nursing",
    "legal",
    "it",
    "repair",
    "tutoring",
    "counselling",
    "cooking",
    "cleaning",
    "shopping",
    "psychology",
    "rehab",
    "reading",
    "escort",
)

_KNOWN: frozenset[str] = frozenset(SKILLS)


def known_skill(s: str) -> bool:
    """Whether s is one of the skill ids in SKILLS."""
    return s in _KNOWN


def unknown_skills(skills: list[str] | tuple[str, ...]) -> list[str]:
    """The entries of skills that are not skill ids, in their order."""
    return [s for s in skills if not known_skill(s)]
