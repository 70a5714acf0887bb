"""The service-hours ledger: one hash-chained row per confirmed service."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Field, SQLModel

from core.models._types import ts_column, utcnow


class ServiceRecordBase(SQLModel):
    request_id: int = Field(foreign_key="helprequest.id", unique=True)
    volunteer_id: int = Field(foreign_key="volunteer.id", index=True)
    team_id: int | None = Field(default=None, foreign_key="team.id")
    recipient_area_id: int | None = Field(default=None, foreign_key="area.id")
    category: str = Field(max_length=24)
    service_date: date
    hours: float
    rating: int | None = None


class ServiceRecord(ServiceRecordBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64, unique=True)


class ServiceRecordPublic(ServiceRecordBase):
    id: int
    created_at: datetime
    prev_hash: str
    hash: str
