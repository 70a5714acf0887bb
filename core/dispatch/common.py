"""Small helpers shared by the dispatch modules: time, actors, labels, lookups."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import Session

from core import texts
from core.exceptions import InvalidInput, NotAllowed, NotFound
from core.models import Area, HelpRequest, Resident, Volunteer
from core.prepared import read_row

T = TypeVar("T")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Statuses in which a volunteer is busy with a request.
ACTIVE_STATUSES: tuple[str, ...] = ("accepted", "in_progress")


def utc(dt: datetime | None) -> datetime | None:
    """The same instant as an aware UTC datetime (SQLite hands back naive UTC values)."""
    if dt is None:
        return None
    if dt.tzinfo is None:
        return dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def now_utc(now: datetime | None) -> datetime:
    """The caller's 'now' (for tests and replays) or the clock, always aware UTC."""
    return utc(now) or datetime.now(UTC)


@lru_cache(maxsize=64)
def zone(name: str | None) -> ZoneInfo:
    """A time zone by name; Asia/Shanghai when unknown."""
    try:
        return ZoneInfo(name or "Asia/Shanghai")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("Asia/Shanghai")


def parse_actor(actor: str) -> tuple[str, int | None]:
    """'resident:12' → ('resident', 12); 'admin' → ('admin', None)."""
    kind, _, rest = (actor or "").partition(":")
    if kind not in {"resident", "volunteer", "coordinator", "carer", "admin", "system"}:
        raise InvalidInput("unknown actor", detail=actor)
    if not rest:
        return kind, None
    try:
        return kind, int(rest)
    except ValueError as exc:
        raise InvalidInput("bad actor id", detail=actor) from exc


def unclaimed(session: Session, query: Any, model: Any, skip: set[int]) -> Any:
    """A worker's query for due rows of `model`, leaving out `skip` (tried this tick) and, on
    PostgreSQL, rows another worker holds: it keeps them, we take the next instead of waiting."""
    if skip:
        query = query.where(model.id.not_in(skip))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=model)
    return query.limit(1)


def drain(
    sessions: Callable[[], Session],
    *,
    limit: int,
    next_due: Callable[[Session, set[int]], tuple[int, T] | None],
    handle: Callable[[Session, T], bool],
) -> int:
    """Handle up to `limit` due rows, each in its own transaction; returns how many were handled.

    next_due(session, skip) finds the next (id, row) not in skip (see `unclaimed`); each id is
    tried once per tick. handle(session, row) commits or rolls back itself and says whether it
    did the work (False: another worker was first, or nothing was left to do).
    """
    handled = 0
    skip: set[int] = set()
    while handled < limit:
        with sessions() as session:
            due = next_due(session, skip)
            if due is None:
                session.rollback()
                break
            row_id, row = due
            skip.add(row_id)
            if handle(session, row):
                handled += 1
    return handled


def get_request(session: Session, request_id: int) -> HelpRequest:
    """The request or NotFound."""
    req = session.get(HelpRequest, request_id)
    if req is None:
        raise NotFound("request not found", request_id=request_id)
    return req


def get_resident(session: Session, resident_id: int) -> Resident:
    """The resident or NotFound (for reading: dispatch never changes a resident)."""
    resident = read_row(session, Resident, resident_id)
    if resident is None:
        raise NotFound("resident not found", resident_id=resident_id)
    return resident


def get_volunteer(session: Session, volunteer_id: int) -> Volunteer:
    """The volunteer or NotFound."""
    volunteer = session.get(Volunteer, volunteer_id)
    if volunteer is None:
        raise NotFound("volunteer not found", volunteer_id=volunteer_id)
    return volunteer


def require_volunteer(req: HelpRequest, volunteer_id: int) -> None:
    """Only the volunteer who holds the request may report on it."""
    if req.volunteer_id != volunteer_id:
        raise NotAllowed("not your request", request_id=req.id)


def volunteer_lang(volunteer: Volunteer) -> str:
    """The language a volunteer reads first."""
    return texts.normalise_lang(volunteer.languages[0] if volunteer.languages else None)


def get_area(session: Session, area_id: int | None) -> Area | None:
    """The area, held for the session's lifetime once loaded.

    A request's routing and its messages read the same area several times, and the session's
    identity map holds objects only weakly, so it would be read from the database each time.
    """
    if area_id is None:
        return None
    held: dict[int, Area] = session.info.setdefault("lightwing.areas", {})
    area = held.get(area_id)
    if area is None:
        area = read_row(session, Area, area_id)
        if area is not None:
            held[area_id] = area
    return area


def area_name(session: Session, area_id: int | None, lang: str) -> str:
    """The area's name in the reader's language ('' when unknown)."""
    area = get_area(session, area_id)
    if area is None:
        return ""
    return area.name_en if texts.normalise_lang(lang) == "en" else area.name_zh


def category_label(category: str | None, lang: str) -> str:
    """The spoken name of a category."""
    return texts.get(f"dispatch.category.{category or 'other'}", lang)


def urgency_label(urgency: str | None, lang: str) -> str:
    """The spoken name of an urgency."""
    return texts.get(f"dispatch.urgency.{urgency or 'normal'}", lang)


def when_text(req: HelpRequest, tz: str | None, lang: str) -> str:
    """The requested time in the resident's zone, or the 'no time given' text."""
    start = utc(req.time_start)
    if start is None:
        return texts.get("dispatch.when.any", lang)
    local = start.astimezone(zone(tz))
    return texts.get("dispatch.when.at", lang, time=local.strftime("%Y-%m-%d %H:%M"))
