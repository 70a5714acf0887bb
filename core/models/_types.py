"""Column helpers shared by the models."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime


def utcnow() -> datetime:
    """Aware UTC now; every timestamp in the database is UTC."""
    return datetime.now(UTC)


def json_column() -> Any:
    """A JSON column (lists and dicts) that works on SQLite and PostgreSQL."""
    return Column(JSON, nullable=False)


def ts_column(*, nullable: bool = True, index: bool = False) -> Any:
    """A timezone-aware timestamp column."""
    return Column(DateTime(timezone=True), nullable=nullable, index=index)
