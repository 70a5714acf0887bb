"""The coordinator's view of the queues: filtered, keyset-paged listing and the change feed."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    Boolean,
    String,
    and_,
    bindparam,
    case,
    func,
    literal_column,
    or_,
    select,
    tuple_,
    type_coerce,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import Session

from core.exceptions import InvalidInput
from core.models import OPEN_STATUSES, Area, Event, HelpRequest, RequestStatus
from core.models._types import utcnow
from core.prepared import Prepared
from core.services.apikeys import expand_areas

SORTS: tuple[str, ...] = ("newest", "oldest", "deadline")
MAX_LIMIT = 200
SUMMARY_CHARS = 140

_T = HelpRequest.__table__.c  # type: ignore[attr-defined]
_E = Event.__table__.c  # type: ignore[attr-defined]
_TIMESTAMPS = ("deadline", "created_at", "updated_at")
# `is_open = 1` (a literal, not a parameter): the condition of the partial queue indexes
# (core/models/request.py), so both databases walk them in the order of the page.
_IS_OPEN = _T.is_open == literal_column("1")


class IsoUtc(FunctionElement[str]):
    """A timestamp column as ISO 8601 text in UTC: "2026-11-22T07:12:10.000000+00:00".

    The same text from both databases (PostgreSQL's session time zone does not show through).
    """

    type = String()
    inherit_cache = True
    name = "iso_utc"


@compiles(IsoUtc)
def _iso_utc_sqlite(element: IsoUtc, compiler: Any, **kw: Any) -> str:
    # SQLite stores UTC as "YYYY-MM-DD HH:MM:SS.ffffff"; NULL stays NULL.
    return f"(replace({compiler.process(element.clauses, **kw)}, ' ', 'T') || '+00:00')"


@compiles(IsoUtc, "postgresql")
def _iso_utc_postgresql(element: IsoUtc, compiler: Any, **kw: Any) -> str:
    value = compiler.process(element.clauses, **kw)
    return f"""to_char(({value}) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"')"""


class JsonBool(FunctionElement[str]):
    """A condition as a JSON true/false value inside JsonRow (SQLite has no boolean type)."""

    inherit_cache = True
    name = "json_bool"


@compiles(JsonBool)
def _json_bool_sqlite(element: JsonBool, compiler: Any, **kw: Any) -> str:
    condition = compiler.process(element.clauses, **kw)
    return f"json(CASE WHEN {condition} THEN 'true' ELSE 'false' END)"


@compiles(JsonBool, "postgresql")
def _json_bool_postgresql(element: JsonBool, compiler: Any, **kw: Any) -> str:
    return f"(CASE WHEN {compiler.process(element.clauses, **kw)} THEN true ELSE false END)"


class JsonRow(FunctionElement[str]):
    """One row as a JSON object text, made by the database: JsonRow("id", col, "x", col, …).

    The API's busiest page needs no Python object per value, no dict and no encoder pass.
    (SQLite writes a REAL with 15 significant digits, PostgreSQL with all: a confidence of
    0.7234567891234567 reads 0.723456789123457 from SQLite.)
    """

    type = String()
    inherit_cache = True
    name = "json_row"

    def __init__(self, *pairs: Any) -> None:
        # Keys are our own identifiers, written into the SQL as string literals (no parameters).
        args = [literal_column(f"'{v}'") if i % 2 == 0 else v for i, v in enumerate(pairs)]
        super().__init__(*args)


@compiles(JsonRow)
def _json_row_sqlite(element: JsonRow, compiler: Any, **kw: Any) -> str:
    return f"json_object({compiler.process(element.clauses, **kw)})"


@compiles(JsonRow, "postgresql")
def _json_row_postgresql(element: JsonRow, compiler: Any, **kw: Any) -> str:
    return f"(json_build_object({compiler.process(element.clauses, **kw)})::text)"


_OVERDUE = and_(_T.deadline < bindparam("now"), _T.is_open.is_not(None))
# What a queue row shows, by name: never the resident's private details, never JSON blobs.
_VALUES: tuple[tuple[str, Any], ...] = (
    ("id", _T.id),
    ("resident_id", _T.resident_id),
    ("status", _T.status),
    ("category", _T.category),
    ("urgency", _T.urgency),
    ("confidence", _T.confidence),
    ("area_id", _T.area_id),
    ("team_id", _T.team_id),
    ("volunteer_id", _T.volunteer_id),
    ("ring", _T.ring),
    ("channel", _T.channel),
    # ISO 8601 text made by the database: no datetime objects to build and format per row.
    *((name, IsoUtc(_T[name])) for name in _TIMESTAMPS),
    ("summary", func.substr(_T.text, 1, SUMMARY_CHARS)),
)
_COLUMNS = (
    *(value.label(name) for name, value in _VALUES),
    type_coerce(case((_OVERDUE, True), else_=False), Boolean).label("overdue"),
)
_KEYS: tuple[str, ...] = tuple(c.name for c in _COLUMNS)


class PageRowJson(FunctionElement[str]):
    """A page row's JSON: PageRowJson(stored, built, overdue).

    SQLite: the row's stored `queue_json` (core/models/request.py, read from the queue index)
    closed with "overdue"; PostgreSQL: `built`, the JsonRow made at read time.
    """

    type = String()
    inherit_cache = True
    name = "page_row_json"


@compiles(PageRowJson)
def _page_row_json_sqlite(element: PageRowJson, compiler: Any, **kw: Any) -> str:
    stored, _built, overdue = element.clauses
    return (f"({compiler.process(stored, **kw)} || CASE WHEN {compiler.process(overdue, **kw)}"
            """ THEN ',"overdue":true}' ELSE ',"overdue":false}' END)""")


@compiles(PageRowJson, "postgresql")
def _page_row_json_postgresql(element: PageRowJson, compiler: Any, **kw: Any) -> str:
    _stored, built, _overdue = element.clauses
    return str(compiler.process(built, **kw))


# The row as JSON text, then what the page's cursor needs: (json, id, deadline as stored).
_JSON_COLUMNS = (
    PageRowJson(
        _T.queue_json,
        JsonRow(*(part for pair in _VALUES for part in pair), "overdue", JsonBool(_OVERDUE)),
        _OVERDUE,
    ).label("json"),
    _T.id,
    _T.deadline,
)


def _iso_utc(value: Any) -> str | None:
    """A deadline as a DB-API driver returns it, as IsoUtc writes it."""
    if value is None:
        return None
    if isinstance(value, str):  # SQLite's text: "YYYY-MM-DD HH:MM:SS.ffffff", in UTC
        return value.replace(" ", "T") + "+00:00"
    return str(value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00"))


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


def _in_list(values: Iterable[Any]) -> list[Any]:
    """Values written into the SQL text (the query's shape is cached per list, see _statement)."""
    out = []
    for value in values:
        if isinstance(value, int) and not isinstance(value, bool):
            out.append(literal_column(str(int(value))))
        elif value in _KNOWN_STATUSES:
            # Only our own status ids: letters and underscores, nothing to quote.
            out.append(literal_column(f"'{value}'"))
        else:
            raise InvalidInput("unknown status", status=str(value))
    return out


@lru_cache(maxsize=1024)
def _statement(
    statuses: str,
    status_list: tuple[str, ...],
    areas: tuple[int, ...] | None,
    category: bool,
    urgency: bool,
    team: bool,
    overdue: bool | None,
    order: str,
    cursor: str | None,
    as_json: bool = False,
) -> Any:
    """The SELECT for one combination of filters, with bound parameters (built once).

    Building SQLAlchemy expressions costs more than running the query on the indexes, so every
    shape of the queue query is built once and reused with new values. statuses is "open"
    (every open status), "open-some" (a subset of them), "one" or "any" (closed ones asked
    for); status_list the statuses of "open-some" and "any", and areas the area ids rows may be
    in: both are written into the SQL text as literals (a coordinator's areas are the same on
    every call), so that the text is fixed and can be prepared once (see _prepared). order is
    newest, oldest, dated (rows with a deadline, soonest first) or undated (rows without one,
    by id).
    """
    conditions: list[Any] = []
    if statuses in ("open", "open-some") or overdue is True:
        conditions.append(_IS_OPEN)
    if statuses == "one":
        conditions.append(_T.status == bindparam("status"))
    elif statuses in ("open-some", "any"):
        conditions.append(_T.status.in_(_in_list(status_list)))
    if areas is not None:
        conditions.append(_T.area_id.in_(_in_list(areas)))
    if category:
        conditions.append(_T.category == bindparam("category"))
    if urgency:
        conditions.append(_T.urgency == bindparam("urgency"))
    if team:
        conditions.append(_T.team_id == bindparam("team"))
    if overdue is True:
        conditions.append(_T.deadline < bindparam("now"))
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
        # A row value: both databases seek the (deadline, id) index to the cursor's place.
        key = bindparam("key", type_=_T.deadline.type)
        conditions.append(tuple_(_T.deadline, _T.id) > tuple_(key, last_id))
    query = select(*(_JSON_COLUMNS if as_json else _COLUMNS)).where(and_(*conditions))
    if order == "newest":
        query = query.order_by(_T.id.desc())
    elif order == "dated":
        query = query.order_by(_T.deadline.asc(), _T.id.asc())
    else:
        query = query.order_by(_T.id.asc())
    return query.limit(bindparam("limit"))


@lru_cache(maxsize=1024)
def _prepared(dialect: Dialect, *shape: Any) -> Prepared:
    return Prepared.compile(_statement(*shape), dialect)


_AREA_ROOT = select(Area.id, Area.path).where(Area.id == bindparam("id"))  # type: ignore[arg-type]
_AREA_BELOW = select(Area.id).where(Area.path.startswith(bindparam("path")))  # type: ignore[union-attr]


@lru_cache(maxsize=8)
def _area_statements(dialect: Dialect) -> tuple[Prepared, Prepared]:
    return Prepared.compile(_AREA_ROOT, dialect), Prepared.compile(_AREA_BELOW, dialect)


def _expand_area(connection: Any, dialect: Dialect, area_id: int) -> frozenset[int]:
    """expand_areas for one area, on a DB-API connection: the area and every area below it."""
    root, below = _area_statements(dialect)
    found = root.rows(connection, {"id": area_id})
    if not found:
        return frozenset()
    path = found[0][1]
    ids = {int(found[0][0])}
    if path and path != "/":
        ids.update(int(row[0]) for row in below.rows(connection, {"path": path}))
    return frozenset(ids)


def _areas(
    session: Session, filters: QueueFilters, area_scope: frozenset[int] | None
) -> frozenset[int] | None:
    """The area ids rows may be in (None: any)."""
    wanted = None if filters.area_id is None else expand_areas(session, [filters.area_id])
    return _scoped(wanted, area_scope)


def _scoped(
    wanted: frozenset[int] | None, area_scope: frozenset[int] | None
) -> frozenset[int] | None:
    """The areas asked for (None: any) within the caller's scope (None: unrestricted)."""
    if area_scope is not None:
        return area_scope if wanted is None else wanted & area_scope
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
    conn = session.connection()

    def run(shape: tuple[Any, ...], params: dict[str, Any]) -> list[Any]:
        return list(conn.execute(_statement(*shape), params).all())

    areas = _areas(session, filters, area_scope)
    rows, limit = _page_rows(run, filters=filters, areas=areas, limit=limit, cursor=cursor,
                             sort=sort, now=now, as_json=False)
    page = QueuePage(limit=limit, sort=sort, items=[_item(row) for row in rows[:limit]])
    if len(rows) > limit:
        last = page.items[-1]
        key_value = last["deadline"] if sort == "deadline" else None
        page.next_cursor = encode_cursor(sort, key_value, last["id"])
    return page


def queue_page_json(
    session: Session,
    *,
    filters: QueueFilters | None = None,
    area_scope: frozenset[int] | None = None,
    limit: int = 50,
    cursor: str | None = None,
    sort: str = "newest",
    now: datetime | None = None,
) -> bytes:
    """The page list_queue gives, as JSON {"items", "next_cursor", "limit", "sort"}.

    page_json on the session's connection. tests/api/test_queue.py checks that both give the
    same page.
    """
    conn = session.connection()
    return page_json(conn.connection, dialect=conn.dialect, filters=filters,
                     area_scope=area_scope, limit=limit, cursor=cursor, sort=sort, now=now)


def page_json(
    connection: Any,
    *,
    dialect: Dialect,
    filters: QueueFilters | None = None,
    area_scope: frozenset[int] | None = None,
    limit: int = 50,
    cursor: str | None = None,
    sort: str = "newest",
    now: datetime | None = None,
) -> bytes:
    """queue_page_json on a DB-API connection of dialect (the API's busiest page).

    No Session and no SQLAlchemy execution: each statement is compiled once (Prepared), and
    each row's JSON comes from the database (SQLite: stored in the queue index as `queue_json`;
    PostgreSQL: built by the server), so there is no Python object per value and no encoder pass.
    """
    filters = filters or QueueFilters()

    def run(shape: tuple[Any, ...], params: dict[str, Any]) -> list[Any]:
        return _prepared(dialect, *shape).rows(connection, params)

    wanted = None if filters.area_id is None else _expand_area(connection, dialect,
                                                                filters.area_id)
    areas = _scoped(wanted, area_scope)
    rows, limit = _page_rows(run, filters=filters, areas=areas, limit=limit, cursor=cursor,
                             sort=sort, now=now, as_json=True)
    next_cursor = None
    if len(rows) > limit:
        _, last_id, last_deadline = rows[limit - 1]
        key = _iso_utc(last_deadline) if sort == "deadline" else None
        next_cursor = encode_cursor(sort, key, last_id)
    items = ",".join([row[0] for row in rows[:limit]])
    # The cursor is base64url and sort one of SORTS: nothing to escape.
    tail = "null" if next_cursor is None else f'"{next_cursor}"'
    return f'{{"items":[{items}],"next_cursor":{tail},"limit":{limit},"sort":"{sort}"}}'.encode()


def _page_rows(
    run: Callable[[tuple[Any, ...], dict[str, Any]], list[Any]],
    *,
    filters: QueueFilters,
    areas: frozenset[int] | None,
    limit: int,
    cursor: str | None,
    sort: str,
    now: datetime | None,
    as_json: bool,
) -> tuple[list[Any], int]:
    """Up to limit + 1 rows of the page (one more tells whether a next page exists), and limit.

    run(shape, params) executes the _statement of that shape.
    """
    if sort not in SORTS:
        raise InvalidInput("unknown sort", sort=sort)
    limit = max(1, min(int(limit), MAX_LIMIT))
    if areas is not None and not areas:
        return [], limit
    params: dict[str, Any] = {"limit": limit + 1, "now": now or utcnow()}
    statuses = filters.status
    wanted = frozenset(statuses)
    status_list: tuple[str, ...] = ()
    if not wanted or wanted == OPEN_STATUSES:
        status_kind = "open"
    elif len(wanted) == 1:
        # One status: its own index is already in id order (SQLite) or small to sort.
        status_kind = "one"
        params["status"] = statuses[0]
    else:
        status_kind = "open-some" if wanted <= OPEN_STATUSES else "any"
        status_list = tuple(sorted(wanted))
    params.update(category=filters.category, urgency=filters.urgency, team=filters.team_id)
    shape = (
        status_kind, status_list, None if areas is None else tuple(sorted(areas)),
        bool(filters.category), bool(filters.urgency), filters.team_id is not None,
        filters.overdue,
    )
    if sort != "deadline":
        cursor_kind = None
        if cursor:
            _, params["last_id"] = decode_cursor(cursor, sort)
            cursor_kind = "id"
        return run((*shape, sort, cursor_kind, as_json), params), limit
    # Rows with a deadline (soonest first), then the rest: two index walks, no big sort.
    rows: list[Any] = []
    key = None
    if cursor:
        key, params["last_id"] = decode_cursor(cursor, sort)
    if not cursor or key is not None:
        if key is not None:
            params["key"] = datetime.fromisoformat(key)
        rows = run((*shape, "dated", "dated" if key is not None else None, as_json), params)
    if len(rows) <= limit:
        params["limit"] = limit + 1 - len(rows)
        undated = (*shape, "undated", "id" if cursor and key is None else None, as_json)
        rows += run(undated, params)
    return rows, limit


def _item(row: Any) -> dict[str, Any]:
    # Every value is JSON-ready as selected (timestamps as text, overdue as a boolean).
    return dict(zip(_KEYS, row, strict=True))


def latest_event_id(session: Session) -> int:
    """The id of the newest event (0 when none): where a change feed starts."""
    return int(session.connection().execute(select(func.max(_E.id))).scalar() or 0)


# Event ids come from a sequence when a transaction inserts, but become visible when it commits:
# on PostgreSQL a transaction that commits after another may carry the smaller id. A feed that
# only asked for ids above the last one it saw would skip it forever. So the feed remembers the
# ids it passed over (gaps) and asks for them again until they appear or are too old to be a
# transaction still running (a rolled-back insert leaves a gap that never fills).
GAP_WAIT_S = 60.0
MAX_GAPS = 500
# How far below its starting id a new feed looks for ids that are not visible yet.
START_WINDOW = 256
_FEED_COLUMNS = (
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
_FEED_JOIN = _E.request_id == _T.id


@dataclass
class FeedCursor:
    """Where a change feed stands: the highest event id passed, and the ids below it not seen.

    gaps maps a missing id to the time.monotonic() it was first missed.
    """

    last_id: int
    gaps: dict[int, float] = field(default_factory=dict)

    def token(self, max_gaps: int = 32) -> str:
        """The cursor as an SSE event id: "120" or "120:117.119" (the newest gaps only)."""
        if not self.gaps:
            return str(self.last_id)
        newest = sorted(self.gaps)[-max_gaps:]
        return f"{self.last_id}:" + ".".join(str(i) for i in newest)

    @classmethod
    def from_token(cls, token: str, *, now: float) -> FeedCursor | None:
        """A cursor from token() (a Last-Event-ID header); None when it is not one."""
        head, _, tail = token.strip().partition(":")
        if not head.isdigit() or len(head) > 18:
            return None
        last_id = int(head)
        gaps = {}
        for part in tail.split(".") if tail else ():
            if not part.isdigit() or len(part) > 18 or int(part) >= last_id:
                return None
            gaps[int(part)] = now
        return cls(last_id=last_id, gaps=dict(list(gaps.items())[:MAX_GAPS]))


def start_feed(session: Session, *, after_id: int | None = None, now: float) -> FeedCursor:
    """A cursor after after_id (default: the newest event), remembering the ids below it that
    are not visible yet (inserted by transactions still running)."""
    last_id = latest_event_id(session) if after_id is None else after_id
    low = max(0, last_id - START_WINDOW)
    seen = set(session.connection().execute(
        select(_E.id).where(_E.id > low, _E.id <= last_id)
    ).scalars())
    gaps = {i: now for i in range(low + 1, last_id + 1) if i not in seen}
    return FeedCursor(last_id=last_id, gaps=gaps)


def poll_feed(
    session: Session,
    cursor: FeedCursor,
    *,
    now: float,
    area_scope: frozenset[int] | None = None,
    limit: int = 100,
) -> list[tuple[dict[str, Any], str]]:
    """Events that became visible since the last poll, each with the cursor token after it.

    Advances cursor in place. Events outside area_scope move the cursor but are not returned.
    """
    for missing in [i for i, since in cursor.gaps.items() if now - since > GAP_WAIT_S]:
        del cursor.gaps[missing]
    condition = _E.id > cursor.last_id
    if cursor.gaps:
        condition = or_(condition, _E.id.in_(sorted(cursor.gaps)))
    rows = session.connection().execute(
        select(*_FEED_COLUMNS)
        .join(HelpRequest.__table__, _FEED_JOIN)  # type: ignore[attr-defined]
        .where(condition)
        .order_by(_E.id.asc())
        .limit(limit)
    ).mappings().all()
    out: list[tuple[dict[str, Any], str]] = []
    for row in rows:
        event_id = int(row["id"])
        if event_id in cursor.gaps:
            del cursor.gaps[event_id]
        elif event_id > cursor.last_id:
            for missing in range(cursor.last_id + 1, event_id):
                cursor.gaps[missing] = now
            cursor.last_id = event_id
        else:
            continue  # pragma: no cover - the query asks for nothing else
        if len(cursor.gaps) > MAX_GAPS:
            for oldest in sorted(cursor.gaps)[: len(cursor.gaps) - MAX_GAPS]:
                del cursor.gaps[oldest]
        if area_scope is not None and row["area_id"] not in area_scope:
            continue
        item = dict(row)
        item["at"] = as_utc(item["at"])
        out.append((item, cursor.token()))
    return out


_KNOWN_STATUSES: frozenset[str] = frozenset(s.value for s in RequestStatus)


def parse_statuses(values: Iterable[str]) -> tuple[str, ...]:
    """'offered,unassigned' or repeated params → a tuple of known status ids."""
    known = _KNOWN_STATUSES
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
