"""Queue statistics for the caller's areas."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter

from api.deps import SessionDep, Staff
from api.routes.common import ERRORS
from core.services import stats
from core.services.stats import QueueStats

router = APIRouter(prefix="/api/v1", tags=["stats"], responses=ERRORS)


@router.get("/stats", response_model=QueueStats)
def get_stats(session: SessionDep, principal: Staff, since: datetime | None = None) -> QueueStats:
    """Open requests by status, category and area; overdue; median and p90 times; ratings."""
    scope = None if principal.is_admin else principal.area_scope
    return stats.queue_stats(session, area_scope=scope, since=since)
