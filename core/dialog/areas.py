"""Area helpers for the dialog: names by language, tree steps, matching a typed name."""

from __future__ import annotations

from rapidfuzz import fuzz, process
from sqlmodel import Session, col, select

from core.models import Area

MAX_AREA_BUTTONS = 12


def name(area: Area | None, lang: str) -> str:
    """The area's name in the language ('' when unknown)."""
    if area is None:
        return ""
    return area.name_en if lang == "en" and area.name_en else area.name_zh


def children(session: Session, parent_id: int | None) -> list[Area]:
    """Areas directly under parent (the roots when None), by name."""
    stmt = select(Area).where(Area.parent_id == parent_id).order_by(col(Area.code))
    return list(session.exec(stmt).all())


def roots_for_picker(session: Session) -> list[Area]:
    """The first level worth showing: skip single roots (one city → its districts)."""
    level = children(session, None)
    while len(level) == 1:
        below = children(session, level[0].id)
        if not below:
            break
        level = below
    return level


def subtree_ids(session: Session, area_id: int) -> list[int]:
    """The area and every area below it."""
    area = session.get(Area, area_id)
    if area is None:
        return []
    prefix = area.path if area.path and area.path != "/" else f"/{area.id}/"
    stmt = select(Area.id).where(col(Area.path).startswith(prefix))
    ids = [i for i in session.exec(stmt).all() if i is not None]
    return sorted(set(ids) | {area_id})


def match(session: Session, text: str, *, cutoff: float = 70.0) -> Area | None:
    """The area whose name or alias best matches a typed or spoken name."""
    needle = text.strip()
    if not needle:
        return None
    choices: dict[str, Area] = {}
    for area in session.exec(select(Area)).all():
        for label in (area.name_zh, area.name_en, *area.aliases):
            if label:
                choices[label] = area
    exact = [a for label, a in choices.items() if label.lower() == needle.lower()]
    if exact:
        return exact[0]
    best = process.extractOne(needle, list(choices), scorer=fuzz.WRatio, score_cutoff=cutoff)
    return choices[best[0]] if best else None
