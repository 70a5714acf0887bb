"""Notifications outbox, API keys and stored conversation state."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Field, SQLModel

from core.models._types import json_column, ts_column, utcnow


class Notification(SQLModel, table=True):
    """A message to deliver: written in the same transaction as the change it reports."""

    id: int | None = Field(default=None, primary_key=True)
    recipient_kind: str = Field(max_length=16)  # resident, volunteer, coordinator, carer
    recipient_id: int = Field(index=True)
    key: str = Field(max_length=64)
    values: dict[str, Any] = Field(default_factory=dict, sa_column=json_column())
    buttons: list[dict[str, Any]] = Field(default_factory=list, sa_column=json_column())
    request_id: int | None = Field(default=None, foreign_key="helprequest.id", index=True)
    offer_id: int | None = Field(default=None, foreign_key="offer.id")
    # Same key twice means the same message: a retry never creates a second row.
    dedupe_key: str | None = Field(default=None, max_length=128, unique=True)
    status: str = Field(default="pending", max_length=16, index=True)
    attempts: int = 0
    next_attempt_at: datetime = Field(
        default_factory=utcnow, sa_column=ts_column(nullable=False, index=True)
    )
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))
    sent_at: datetime | None = Field(default=None, sa_column=ts_column())
    seen_at: datetime | None = Field(default=None, sa_column=ts_column())
    channel_ref: str | None = Field(default=None, max_length=64)
    last_error: str | None = Field(default=None, max_length=500)


class NotificationPublic(SQLModel):
    id: int
    recipient_kind: str
    recipient_id: int
    key: str
    values: dict[str, Any]
    buttons: list[dict[str, Any]]
    request_id: int | None
    status: str
    created_at: datetime


class ApiKey(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    prefix: str = Field(max_length=16, unique=True, index=True)
    hash: str = Field(max_length=128)
    role: str = Field(max_length=16)
    name: str = Field(default="", max_length=100)
    area_ids: list[int] = Field(default_factory=list, sa_column=json_column())
    subject_id: int | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))
    revoked_at: datetime | None = Field(default=None, sa_column=ts_column())


class ApiKeyPublic(SQLModel):
    id: int
    prefix: str
    role: str
    name: str
    area_ids: list[int]
    subject_id: int | None
    created_at: datetime
    revoked_at: datetime | None


class ConversationState(SQLModel, table=True):
    """Where a conversation stands (bot FSM or web chat), so a restart continues it."""

    key: str = Field(max_length=128, primary_key=True)
    state: str | None = Field(default=None, max_length=128)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=json_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))
