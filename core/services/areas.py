"""The area tree: city → district → street/town → community/village."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, col, select

from core.exceptions import AlreadyExists, NotAllowed
from core.models import (
    Area,
    AreaCreate,
    AreaLevel,
    AreaUpdate,
    Coordinator,
    HelpRequest,
    Resident,
    Team,
    Volunteer,
)
from core.services import _validate as v

# Rank of each level: a child must sit strictly below its parent.
LEVEL_RANK: dict[str, int] = {level.value: rank for rank, level in enumerate(AreaLevel)}


def _aliases(values: list[str]) -> list[str]:
    return list(dict.fromkeys(a.strip() for a in values if a and a.strip()))


def create_area(session: Session, *, data: AreaCreate) -> Area:
    """Add an area under its parent, computing its path ('/1/4/17/') and depth."""
    if data.level not in LEVEL_RANK:
        raise v.invalid(f"unknown area level {data.level!r}", "profile.invalid.level",
                        value=data.level)
    v.code(data.code)
    if session.exec(select(Area).where(Area.code == data.code)).first() is not None:
        raise AlreadyExists(f"area code {data.code!r} exists", kind="area", code=data.code)
    parent: Area | None = None
    if data.parent_id is not None:
        parent = session.get(Area, data.parent_id)
        if parent is None:
            raise v.invalid(f"no parent area {data.parent_id}", "profile.invalid.area",
                            value=data.parent_id)
        if LEVEL_RANK[data.level] <= LEVEL_RANK.get(parent.level, -1):
            raise v.invalid(f"a {data.level} cannot sit under a {parent.level}",
                            "profile.invalid.level", value=data.level)
    area = Area(
        code=data.code,
        level=data.level,
        name_zh=v.name(data.name_zh, field="name_zh"),
        name_en=v.name(data.name_en, field="name_en"),
        aliases=_aliases(data.aliases),
        parent_id=data.parent_id,
    )
    session.add(area)
    session.flush()  # the id is part of the path
    set_path(area, parent)
    session.commit()
    session.refresh(area)
    return area


def set_path(area: Area, parent: Area | None) -> None:
    """Fill area.path and area.depth from its (flushed) id and its parent."""
    area.path = f"{parent.path if parent else '/'}{area.id}/"
    area.depth = parent.depth + 1 if parent else 0


def get_area(session: Session, *, area_id: int) -> Area:
    """One area, or NotFound."""
    return v.get_or_404(session, Area, area_id, "area")


def list_areas(
    session: Session, *, parent_id: int | None = None, level: str | None = None
) -> list[Area]:
    """Areas in tree order (by path), filtered by parent and/or level when given."""
    query = select(Area)
    if parent_id is not None:
        query = query.where(Area.parent_id == parent_id)
    if level is not None:
        query = query.where(Area.level == level)
    return list(session.exec(query.order_by(col(Area.path))).all())


def area_children(session: Session, *, area_id: int) -> list[Area]:
    """The direct children of an area."""
    get_area(session, area_id=area_id)
    return list_areas(session, parent_id=area_id)


def area_ancestors(session: Session, *, area_id: int, include_self: bool = False) -> list[Area]:
    """The areas above this one, root first (and the area itself last when asked)."""
    area = get_area(session, area_id=area_id)
    ids = [int(part) for part in area.path.strip("/").split("/") if part]
    if not include_self:
        ids = ids[:-1]
    if not ids:
        return []
    rows = {a.id: a for a in session.exec(select(Area).where(col(Area.id).in_(ids))).all()}
    return [rows[i] for i in ids if i in rows]


def area_descendant_ids(session: Session, *, area_id: int) -> list[int]:
    """The ids of the area and of everything below it (prefix match on the path)."""
    area = get_area(session, area_id=area_id)
    query = select(Area.id).where(col(Area.path).startswith(area.path, autoescape=True))
    return [i for i in session.exec(query.order_by(col(Area.path))).all() if i is not None]


def update_area(session: Session, *, area_id: int, data: AreaUpdate) -> Area:
    """Change an area's names or aliases."""
    area = get_area(session, area_id=area_id)
    if data.name_zh is not None:
        area.name_zh = v.name(data.name_zh, field="name_zh")
    if data.name_en is not None:
        area.name_en = v.name(data.name_en, field="name_en")
    if data.aliases is not None:
        area.aliases = _aliases(data.aliases)
    session.add(area)
    session.commit()
    session.refresh(area)
    return area


def area_in_use(session: Session, *, area_id: int) -> list[str]:
    """What still refers to the area: 'children', 'teams', 'volunteers', … (empty when free)."""
    uses: list[str] = []
    checks: list[tuple[str, object]] = [
        ("children", select(func.count()).select_from(Area).where(Area.parent_id == area_id)),
        ("teams", select(func.count()).select_from(Team).where(Team.area_id == area_id)),
        ("residents", select(func.count()).select_from(Resident).where(
            Resident.area_id == area_id)),
        ("coordinators", select(func.count()).select_from(Coordinator).where(
            Coordinator.area_id == area_id)),
        ("requests", select(func.count()).select_from(HelpRequest).where(
            (HelpRequest.area_id == area_id) | (HelpRequest.place_area_id == area_id))),
        ("volunteers", select(func.count()).select_from(Volunteer).where(
            Volunteer.home_area_id == area_id)),
    ]
    for label, query in checks:
        if session.exec(query).one():  # type: ignore[call-overload]
            uses.append(label)
    if "volunteers" not in uses:
        # service_area_ids is a JSON list: checked here so it works on SQLite and PostgreSQL.
        for ids in session.exec(select(Volunteer.service_area_ids)).all():
            if area_id in ids:
                uses.append("volunteers")
                break
    return uses


def delete_area(session: Session, *, area_id: int) -> None:
    """Remove an unused area; NotAllowed while anything refers to it."""
    area = get_area(session, area_id=area_id)
    uses = area_in_use(session, area_id=area_id)
    if uses:
        raise NotAllowed(f"area {area_id} is in use: {', '.join(uses)}", uses=uses)
    session.delete(area)
    session.commit()


def search_areas(session: Session, *, name: str, limit: int = 10) -> list[Area]:
    """Areas whose Chinese or English name or an alias matches: exact matches first."""
    needle = name.strip().casefold()
    if not needle:
        return []
    scored: list[tuple[int, int, str, Area]] = []
    for area in session.exec(select(Area)).all():
        names = [area.name_zh, area.name_en, *area.aliases]
        folded = [n.casefold() for n in names if n]
        if needle in folded:
            rank = 0
        elif any(needle in n for n in folded):
            rank = 1
        elif any(n in needle for n in folded if len(n) >= 2):
            rank = 2  # the query contains the name ("阳光社区3栋")
        else:
            continue
        # Deeper (more precise) areas first among equals.
        scored.append((rank, -area.depth, area.path, area))
    scored.sort(key=lambda item: item[:3])
    return [item[3] for item in scored[:limit]]
