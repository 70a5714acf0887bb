"""Help requests, the offers made for them and their append-only event log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, Computed, Index, Integer, Table, Text
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement
from sqlmodel import Field, SQLModel

from core.models._types import json_column, ts_column, utcnow
from core.models.enums import OPEN_STATUSES


class HelpRequestBase(SQLModel):
    resident_id: int = Field(foreign_key="resident.id", index=True)
    text: str = Field(default="", max_length=10_000)
    lang: str | None = Field(default=None, max_length=8)
    area_id: int | None = Field(default=None, foreign_key="area.id", index=True)


class HelpRequest(HelpRequestBase, table=True):
    # Routing counts open tasks per team / per volunteer: (x, status) keeps that a few seeks.
    __table_args__ = (
        Index("ix_helprequest_team_status", "team_id", "status"),
        Index("ix_helprequest_volunteer_status", "volunteer_id", "status"),
        # The coordinators' queue sorts open requests by deadline.
        Index("ix_helprequest_status_deadline", "status", "deadline"),
    )

    id: int | None = Field(default=None, primary_key=True)
    carer_id: int | None = Field(default=None, foreign_key="carer.id")
    channel: str = Field(default="api", max_length=16)
    transcript: str | None = Field(default=None, max_length=10_000)
    audio_path: str | None = Field(default=None, max_length=300)
    photo_path: str | None = Field(default=None, max_length=300)
    status: str = Field(default="new", max_length=24, index=True)
    # category, urgency, deadline and team_id have no index of their own: every query that
    # filters on them is served by a composite or a queue index (migration 0004), and each
    # index is one more B-tree entry rewritten by every status UPDATE.
    category: str | None = Field(default=None, max_length=24)
    urgency: str | None = Field(default=None, max_length=16)
    confidence: float | None = None
    skills: list[str] = Field(default_factory=list, sa_column=json_column())
    classification: dict[str, Any] = Field(default_factory=dict, sa_column=json_column())
    time_start: datetime | None = Field(default=None, sa_column=ts_column())
    time_end: datetime | None = Field(default=None, sa_column=ts_column())
    place_area_id: int | None = Field(default=None, foreign_key="area.id")
    team_id: int | None = Field(default=None, foreign_key="team.id")
    volunteer_id: int | None = Field(default=None, foreign_key="volunteer.id", index=True)
    ring: int = 0
    routing: dict[str, Any] = Field(default_factory=dict, sa_column=json_column())
    deadline: datetime | None = Field(default=None, sa_column=ts_column())
    hours_reported: float | None = None
    note: str | None = Field(default=None, max_length=2000)
    pair_id: int | None = Field(default=None, foreign_key="pairschedule.id")
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=ts_column(nullable=False, index=True)
    )
    updated_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))
    first_offer_at: datetime | None = Field(default=None, sa_column=ts_column())
    accepted_at: datetime | None = Field(default=None, sa_column=ts_column())
    done_at: datetime | None = Field(default=None, sa_column=ts_column())
    closed_at: datetime | None = Field(default=None, sa_column=ts_column())


# The queue reads open requests only (a few per cent of all stored ones), sorted newest, oldest or
# by deadline. `is_open` is 1 while a request is open and NULL once it is closed, computed by the
# database from `status`: every writer (the ORM, dispatch's guarded Core UPDATEs, plain SQL) keeps
# it right without knowing it exists. The partial indexes below hold open rows only, each in the
# order of one sort, so a queue page is an index walk of `limit` rows, never a sort of the table.
# The column is deliberately not a model field: nothing writes it, and code that copies every
# model field into an INSERT (dispatch) must not name a generated column.
OPEN_FLAG_SQL = (
    "CASE WHEN "
    + " OR ".join(f"status = '{status}'" for status in sorted(OPEN_STATUSES))
    + " THEN 1 ELSE NULL END"
)
_table: Table = HelpRequest.__table__  # type: ignore[attr-defined]
# STORED, as PostgreSQL needs to index it. SQLite cannot ADD a stored column to a table, so
# migration 0002 adds it VIRTUAL there; its partial indexes store the values all the same.
_table.append_column(
    Column("is_open", Integer, Computed(OPEN_FLAG_SQL, persisted=True), nullable=True)
)
# A queue page row as JSON text, for SQLite: what the API's busiest page lists, written by the
# database when the row is written, so a page read copies it out of the index below instead of
# building 16 JSON values per row per read (the read that happens most). Without "overdue"
# (which depends on the time of asking) and without the closing brace, both added by the query
# (core/services/queue.py). VIRTUAL: computed on a write into the partial indexes, which hold
# open rows only; closed rows store nothing. tests/api check it against the page built at read.
QUEUE_JSON_SQLITE = (
    "rtrim(json_object('id', id, 'resident_id', resident_id, 'status', status, "
    "'category', category, 'urgency', urgency, 'confidence', confidence, "
    "'area_id', area_id, 'team_id', team_id, 'volunteer_id', volunteer_id, 'ring', ring, "
    "'channel', channel, 'deadline', replace(deadline, ' ', 'T') || '+00:00', "
    "'created_at', replace(created_at, ' ', 'T') || '+00:00', "
    "'updated_at', replace(updated_at, ' ', 'T') || '+00:00', "
    "'summary', substr(text, 1, 140)), '}')"
)
# PostgreSQL builds the same JSON at read time, in its own server process: a generated column
# there may use only IMMUTABLE functions, and its JSON and timestamp formatting functions are
# STABLE. So the column exists there too (one schema for both) but is always NULL.
QUEUE_JSON_POSTGRESQL = "NULL::text"


class QueueJsonSql(ColumnElement[str]):
    """The generation expression of `queue_json` in each database's SQL."""

    inherit_cache = True
    type = Text()


@compiles(QueueJsonSql)
def _queue_json_sqlite(_element: QueueJsonSql, _compiler: Any, **_kw: Any) -> str:
    return QUEUE_JSON_SQLITE


@compiles(QueueJsonSql, "postgresql")
def _queue_json_postgresql(_element: QueueJsonSql, _compiler: Any, **_kw: Any) -> str:
    return QUEUE_JSON_POSTGRESQL


_table.append_column(
    Column("queue_json", Text, Computed(QueueJsonSql(), persisted=True), nullable=True)
)
_OPEN_ONLY = {
    "sqlite_where": _table.c.is_open.is_not(None),
    "postgresql_where": _table.c.is_open.is_not(None),
}
# One per sort: newest/oldest, and deadline (soonest first; rows without one follow, by id).
# They end in area_id so that for a coordinator's areas both databases skip other areas' entries
# in the index itself, without reading their rows; then deadline and queue_json, so that on
# SQLite a page is read from the index alone. Two indexes, not one per sort and area: every
# open request's writes (dispatch's hot path) pay for each one.
QUEUE_INDEXES = (
    Index("ix_helprequest_open_id", _table.c.is_open, _table.c.id, _table.c.area_id,
          _table.c.deadline, _table.c.queue_json, **_OPEN_ONLY),
    Index("ix_helprequest_open_deadline", _table.c.is_open, _table.c.deadline, _table.c.id,
          _table.c.area_id, _table.c.queue_json, **_OPEN_ONLY),
)


class HelpRequestCreate(HelpRequestBase):
    pass


class HelpRequestPublic(SQLModel):
    """A request as shown to coordinators and the API (private resident details excluded)."""

    id: int
    resident_id: int
    text: str
    lang: str | None
    area_id: int | None
    channel: str
    transcript: str | None
    status: str
    category: str | None
    urgency: str | None
    confidence: float | None
    skills: list[str]
    classification: dict[str, Any]
    time_start: datetime | None
    time_end: datetime | None
    place_area_id: int | None
    team_id: int | None
    volunteer_id: int | None
    ring: int
    deadline: datetime | None
    hours_reported: float | None
    created_at: datetime
    updated_at: datetime


class Offer(SQLModel, table=True):
    # "Nobody flooded": pending offers per volunteer.
    __table_args__ = (Index("ix_offer_volunteer_state", "volunteer_id", "state"),)

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="helprequest.id", index=True)
    # volunteer_id: ix_offer_volunteer_state serves it; deadline is never searched (a ring's
    # deadline is the request's). Migration 0004.
    volunteer_id: int = Field(foreign_key="volunteer.id")
    team_id: int | None = Field(default=None, foreign_key="team.id")
    ring: int = 0
    state: str = Field(default="pending", max_length=16, index=True)
    deadline: datetime = Field(sa_column=ts_column(nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))
    answered_at: datetime | None = Field(default=None, sa_column=ts_column())
    reason: str | None = Field(default=None, max_length=500)


class OfferPublic(SQLModel):
    id: int
    request_id: int
    volunteer_id: int
    team_id: int | None
    ring: int
    state: str
    deadline: datetime
    created_at: datetime
    answered_at: datetime | None


class Event(SQLModel, table=True):
    """One row per transition; rows are only ever inserted."""

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="helprequest.id", index=True)
    at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))
    kind: str = Field(max_length=32)
    from_status: str | None = Field(default=None, max_length=24)
    to_status: str | None = Field(default=None, max_length=24)
    actor: str = Field(default="system", max_length=64)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=json_column())


class EventPublic(SQLModel):
    id: int
    request_id: int
    at: datetime
    kind: str
    from_status: str | None
    to_status: str | None
    actor: str
    data: dict[str, Any]


class Feedback(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="helprequest.id", unique=True)
    rating: int
    comment: str | None = Field(default=None, max_length=2000)
    hours_confirmed: bool = True
    hours_claimed: float | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))


class PairSchedule(SQLModel, table=True):
    """一助一: a resident paired with one volunteer, with an optional recurring visit."""

    id: int | None = Field(default=None, primary_key=True)
    resident_id: int = Field(foreign_key="resident.id", index=True)
    volunteer_id: int = Field(foreign_key="volunteer.id", index=True)
    category: str = Field(default="companionship", max_length=24)
    text: str = Field(default="", max_length=500)
    every_days: int = 7
    next_at: datetime | None = Field(default=None, sa_column=ts_column(index=True))
    active: bool = True
