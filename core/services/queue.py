"""The coordinator's view of the queues: filtered, keyset-paged listing and the change feed."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Boolean, String, and_, bindparam, case, func, or_, select, type_coerce
from sqlmodel import Session

from core.exceptions import InvalidInput
from core.models import OPEN_STATUSES, Event, HelpRequest
from core.models._types import utcnow
from core.services.apikeys import expand_areas

SORTS: tuple[str, ...] = ("newest", "oldest", "deadline")
MAX_LIMIT = 200
SUMMARY_CHARS = 140

_T = HelpRequest.__table__.c  # type: ignore[attr-defined]
_E = Event.__table__.c  # type: ignore[attr-defined]
# Only what a queue row shows: never the resident's private details, never whole JSON blobs.
_OPEN: tuple[str, ...] = tuple(sorted(OPEN_STATUSES))
_TIMESTAMPS = ("deadline", "created_at", "updated_at")
_COLUMNS = (
    _T.id,
    _T.resident_id,
    _T.status,
    _T.category,
    _T.urgency,
    _T.confidence,
    _T.area_id,
    _T.team_id,
    _T.volunteer_id,
    _T.ring,
    _T.channel,
    # Read as stored: SQLite's text is turned into ISO 8601 with a cheap string edit instead of
    # parsing to datetime and formatting back (PostgreSQL's driver still hands over datetimes).
    *(type_coerce(_T[name], String).label(name) for name in _TIMESTAMPS),
    func.substr(_T.text, 1, SUMMARY_CHARS).label("summary"),
    type_coerce(
        case(
            (and_(_T.deadline < bindparam("now"), _T.status.in_(bindparam("open", expanding=True))),
             True),
            else_=False,
        ),
        Boolean,
    ).label("overdue"),
)
_KEYS: tuple[str, ...] = tuple(c.name for c in _COLUMNS)


@dataclass(frozen=True)
class QueueFilters:
    """What a coordinator narrows the queue to; empty status means every open status."""

    status: tuple[str, ...] = ()
    area_id: int | None = None
    category: str | None = None
    urgency: str | None = None
    team_id: int | None = None
    overdue: bool | None = None


@dataclass
class QueuePage:
    """One page of queue rows and the opaque cursor of the next page.

    Rows are JSON-ready dicts: timestamps are ISO 8601 strings with their UTC offset.
    """

    items: list[dict[str, Any]] = field(default_factory=list)
    next_cursor: str | None = None
    limit: int = 50
    sort: str = "newest"


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive timestamps; every stored timestamp is UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def encode_cursor(sort: str, key: Any, row_id: int) -> str:
    """An opaque cursor: the sort and the last row's sort key."""
    raw = json.dumps([sort, key, row_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str) -> tuple[Any, int]:
    """The sort key and id a cursor carries; InvalidInput when it was not made by us."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
        cursor_sort, key, row_id = value
        if cursor_sort != sort or not isinstance(row_id, int) or isinstance(row_id, bool):
            raise ValueError("cursor of another sort")
        if key is not None and not isinstance(key, str):
            raise ValueError("bad key")
        if key is not None:
            datetime.fromisoformat(key)
    except (ValueError, TypeError, binascii.Error, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput("bad cursor") from exc
    return key, row_id


@lru_cache(maxsize=256)
def _statement(
    multi_status: bool,
    scoped: bool,
    category: bool,
    urgency: bool,
    team: bool,
    overdue: bool | None,
    order: str,
    cursor: str | None,
) -> Any:
    """The SELECT for one combination of filters, with bound parameters (built once).

    Building SQLAlchemy expressions costs more than running the query on the indexes, so every
    shape of the queue query is built once and reused with new values. order is newest, oldest,
    dated (rows with a deadline, soonest first) or undated (rows without one, oldest first).
    """
    status = _T.status
    # Open requests are a small share of all stored ones, so the status index is the way in;
    # `+ 0` keeps SQLite (without statistics) from walking a whole district's history by area.
    area = _T.area_id + 0
    conditions: list[Any] = [
        status.in_(bindparam("statuses", expanding=True))
        if multi_status
        else status == bindparam("status")
    ]
    if scoped:
        conditions.append(area.in_(bindparam("areas", expanding=True)))
    if category:
        conditions.append(_T.category == bindparam("category"))
    if urgency:
        conditions.append(_T.urgency == bindparam("urgency"))
    if team:
        conditions.append(_T.team_id == bindparam("team"))
    if overdue is True:
        conditions.append(_T.deadline < bindparam("now"))
        conditions.append(status.in_(bindparam("open", expanding=True)))
    elif overdue is False:
        conditions.append(or_(_T.deadline.is_(None), _T.deadline >= bindparam("now")))
    last_id = bindparam("last_id")
    if order == "dated":
        conditions.append(_T.deadline.is_not(None))
    elif order == "undated":
        conditions.append(_T.deadline.is_(None))
    if cursor == "id":
        conditions.append(_T.id < last_id if order == "newest" else _T.id > last_id)
    elif cursor == "dated":
        key = bindparam("key")
        conditions.append(or_(_T.deadline > key, and_(_T.deadline == key, _T.id > last_id)))
    query = select(*_COLUMNS).where(and_(*conditions))
    if order == "newest":
        query = query.order_by(_T.id.desc())
    elif order == "dated":
        query = query.order_by(_T.deadline.asc(), _T.id.asc())
    else:
        query = query.order_by(_T.id.asc())
    return query.limit(bindparam("limit"))


def _areas(
    session: Session, filters: QueueFilters, area_scope: frozenset[int] | None
) -> frozenset[int] | None:
    """The area ids rows may be in (None: any)."""
    wanted: frozenset[int] | None = None
    if filters.area_id is not None:
        wanted = expand_areas(session, [filters.area_id])
    if area_scope is not None:
        wanted = area_scope if wanted is None else wanted & area_scope
    return wanted


def list_queue(
    session: Session,
    *,
    filters: QueueFilters | None = None,
    area_scope: frozenset[int] | None = None,
    limit: int = 50,
    cursor: str | None = None,
    sort: str = "newest",
    now: datetime | None = None,
) -> QueuePage:
    """One page of the queue, keyset-paged on indexed columns (no COUNT over the table).

    area_scope None means unrestricted (admin); a set limits rows to those areas.
    """
    filters = filters or QueueFilters()
    if sort not in SORTS:
        raise InvalidInput("unknown sort", sort=sort)
    limit = max(1, min(int(limit), MAX_LIMIT))
    now = now or utcnow()
    page = QueuePage(limit=limit, sort=sort)
    areas = _areas(session, filters, area_scope)
    if areas is not None and not areas:
        return page
    statuses = filters.status or _OPEN
    params: dict[str, Any] = {"limit": limit + 1, "now": now, "open": _OPEN}
    if len(statuses) > 1:
        params["statuses"] = list(statuses)
    else:
        params["status"] = statuses[0]
    if areas is not None:
        params["areas"] = sorted(areas)
    params.update(category=filters.category, urgency=filters.urgency, team=filters.team_id)
    shape = (
        len(statuses) > 1, areas is not None, bool(filters.category), bool(filters.urgency),
        filters.team_id is not None, filters.overdue,
    )
    conn = session.connection()
    if sort != "deadline":
        cursor_kind = None
        if cursor:
            _, params["last_id"] = decode_cursor(cursor, sort)
            cursor_kind = "id"
        rows = conn.execute(_statement(*shape, sort, cursor_kind), params).all()
    else:
        # Rows with a deadline (soonest first), then the rest: two index walks, no big sort.
        rows = []
        key = None
        if cursor:
            key, params["last_id"] = decode_cursor(cursor, sort)
        if not cursor or key is not None:
            if key is not None:
                params["key"] = datetime.fromisoformat(key)
            rows = conn.execute(
                _statement(*shape, "dated", "dated" if key is not None else None), params
            ).all()
        if len(rows) <= limit:
            params["limit"] = limit + 1 - len(rows)
            undated_cursor = "id" if cursor and key is None else None
            rows += conn.execute(_statement(*shape, "undated", undated_cursor), params).all()
    items = [_item(row) for row in rows[:limit]]
    page.items = items
    if len(rows) > limit:
        last = items[-1]
        key_value = last["deadline"] if sort == "deadline" else None
        page.next_cursor = encode_cursor(sort, key_value, last["id"])
    return page


def iso_utc(value: datetime | str | None) -> str | None:
    """ISO 8601 with offset: SQLite's stored UTC text or a driver's datetime."""
    if value is None:
        return None
    if isinstance(value, str):
        # SQLite keeps "YYYY-MM-DD HH:MM:SS.ffffff", always UTC, without an offset.
        return value.replace(" ", "T", 1) + "+00:00"
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.isoformat()


def _item(row: Any) -> dict[str, Any]:
    item = dict(zip(_KEYS, row, strict=True))
    for name in _TIMESTAMPS:
        item[name] = iso_utc(item[name])
    item["overdue"] = bool(item["overdue"])
    return item


def latest_event_id(session: Session) -> int:
    """The id of the newest event (0 when none): where a change feed starts."""
    return int(session.connection().execute(select(func.max(_E.id))).scalar() or 0)


def events_after(
    session: Session,
    *,
    after_id: int,
    area_scope: frozenset[int] | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """Events newer than after_id (oldest first) with their request's status and area."""
    query = (
        select(
            _E.id,
            _E.request_id,
            _E.at,
            _E.kind,
            _E.from_status,
            _E.to_status,
            _E.actor,
            _T.status,
            _T.area_id,
            _T.category,
            _T.urgency,
        )
        .join(HelpRequest.__table__, _T.id == _E.request_id)  # type: ignore[attr-defined]
        .where(_E.id > after_id)
        .order_by(_E.id.asc())
        .limit(limit)
    )
    if area_scope is not None:
        if not area_scope:
            return []
        query = query.where(_T.area_id.in_(sorted(area_scope)))
    rows = session.connection().execute(query).mappings().all()
    out = []
    for row in rows:
        item = dict(row)
        item["at"] = as_utc(item["at"])
        out.append(item)
    return out


def parse_statuses(values: Iterable[str]) -> tuple[str, ...]:
    """'offered,unassigned' or repeated params → a tuple of known status ids."""
    from core.models import RequestStatus

    known = {s.value for s in RequestStatus}
    out: list[str] = []
    for value in values:
        for part in value.split(","):
            part = part.strip()
            if not part:
                continue
            if part not in known:
                raise InvalidInput("unknown status", status=part)
            out.append(part)
    return tuple(dict.fromkeys(out))
