"""Queue statistics for coordinators and the numbers behind /metrics."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy import and_, func, select
from sqlmodel import Session

from core.models import OPEN_STATUSES, Feedback, HelpRequest, Offer
from core.models._types import utcnow
from core.services.queue import as_utc

_T = HelpRequest.__table__.c  # type: ignore[attr-defined]
_O = Offer.__table__.c  # type: ignore[attr-defined]
_F = Feedback.__table__.c  # type: ignore[attr-defined]

# Seconds from a request to its acceptance: the buckets of the /metrics histogram.
ACCEPT_BUCKETS: tuple[float, ...] = (60, 300, 900, 1800, 3600, 7200, 21600, 86400)


class Durations(BaseModel):
    """Median and 90th percentile of a duration, in seconds, over `count` requests."""

    count: int = 0
    median_s: float | None = None
    p90_s: float | None = None


class Satisfaction(BaseModel):
    """Residents' ratings (1–5)."""

    count: int = 0
    average: float | None = None
    distribution: dict[str, int] = {}


class QueueStats(BaseModel):
    """What a coordinator's dashboard shows at the top."""

    generated_at: datetime
    since: datetime
    open_total: int
    open_by_status: dict[str, int]
    open_by_category: dict[str, int]
    open_by_area: dict[str, int]
    overdue: int
    overdue_by_status: dict[str, int]
    time_to_first_offer: Durations
    time_to_accept: Durations
    time_to_completion: Durations
    satisfaction: Satisfaction


class MetricsSnapshot(BaseModel):
    """Counters and gauges for the Prometheus endpoint."""

    requests_by_status: dict[str, int]
    offers_by_state: dict[str, int]
    queue_depth: int
    overdue: int
    accept_buckets: list[tuple[float, int]]
    accept_count: int
    accept_sum_s: float


def percentile(sorted_values: list[float], q: float) -> float | None:
    """Linear-interpolated percentile (q in 0..1) of an already sorted list."""
    if not sorted_values:
        return None
    pos = (len(sorted_values) - 1) * q
    low = int(pos)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (pos - low)


def _durations(pairs: list[tuple[Any, Any]]) -> Durations:
    values = sorted(
        (as_utc(end) - as_utc(start)).total_seconds()  # type: ignore[operator]
        for start, end in pairs
        if start is not None and end is not None
    )
    values = [max(0.0, v) for v in values]
    return Durations(
        count=len(values), median_s=percentile(values, 0.5), p90_s=percentile(values, 0.9)
    )


def _scoped(conditions: list[Any], area_scope: frozenset[int] | None) -> bool:
    """Add the area condition; False when the scope is empty (nothing can match)."""
    if area_scope is None:
        return True
    if not area_scope:
        return False
    conditions.append(_T.area_id.in_(sorted(area_scope)))
    return True


def _group(session: Session, column: Any, conditions: list[Any]) -> dict[str, int]:
    query = select(column, func.count()).where(and_(*conditions)).group_by(column)
    rows = session.connection().execute(query).all()
    return {str(key if key is not None else "none"): int(n) for key, n in rows}


def queue_stats(
    session: Session,
    *,
    area_scope: frozenset[int] | None = None,
    since: datetime | None = None,
    now: datetime | None = None,
) -> QueueStats:
    """Open requests by status, category and area; overdue; times to offer, accept, complete.

    Durations and satisfaction cover requests created since `since` (default 30 days).
    """
    now = now or utcnow()
    since = as_utc(since) or now - timedelta(days=30)
    base: list[Any] = []
    visible = _scoped(base, area_scope)
    open_cond = [*base, _T.status.in_(sorted(OPEN_STATUSES))]
    overdue_cond = [*open_cond, _T.deadline < now]
    recent = [*base, _T.created_at >= since]
    if not visible:
        empty = Durations()
        return QueueStats(
            generated_at=now, since=since, open_total=0, open_by_status={},
            open_by_category={}, open_by_area={}, overdue=0, overdue_by_status={},
            time_to_first_offer=empty, time_to_accept=empty, time_to_completion=empty,
            satisfaction=Satisfaction(),
        )
    by_status = _group(session, _T.status, open_cond)
    overdue_by_status = _group(session, _T.status, overdue_cond)
    conn = session.connection()
    times = conn.execute(
        select(_T.created_at, _T.first_offer_at, _T.accepted_at, _T.done_at).where(and_(*recent))
    ).all()
    ratings = conn.execute(
        select(_F.rating, func.count())
        .join(HelpRequest.__table__, _T.id == _F.request_id)  # type: ignore[attr-defined]
        .where(and_(*recent))
        .group_by(_F.rating)
    ).all()
    distribution = {str(r): int(n) for r, n in ratings if r is not None}
    count = sum(distribution.values())
    total = sum(int(r) * n for r, n in distribution.items())
    return QueueStats(
        generated_at=now,
        since=since,
        open_total=sum(by_status.values()),
        open_by_status=by_status,
        open_by_category=_group(session, _T.category, open_cond),
        open_by_area=_group(session, _T.area_id, open_cond),
        overdue=sum(overdue_by_status.values()),
        overdue_by_status=overdue_by_status,
        time_to_first_offer=_durations([(c, f) for c, f, _, _ in times]),
        time_to_accept=_durations([(c, a) for c, _, a, _ in times]),
        time_to_completion=_durations([(c, d) for c, _, _, d in times]),
        satisfaction=Satisfaction(
            count=count,
            average=round(total / count, 3) if count else None,
            distribution=distribution,
        ),
    )


def metrics_snapshot(session: Session, *, now: datetime | None = None) -> MetricsSnapshot:
    """Whole-system counts for /metrics (no area scope: operators watch the service)."""
    now = now or utcnow()
    conn = session.connection()
    by_status = {
        str(s): int(n)
        for s, n in conn.execute(select(_T.status, func.count()).group_by(_T.status)).all()
    }
    offers = {
        str(s): int(n)
        for s, n in conn.execute(select(_O.state, func.count()).group_by(_O.state)).all()
    }
    overdue = conn.execute(
        select(func.count()).where(
            and_(_T.status.in_(sorted(OPEN_STATUSES)), _T.deadline < now)
        )
    ).scalar()
    pairs = conn.execute(
        select(_T.created_at, _T.accepted_at).where(_T.accepted_at.is_not(None))
    ).all()
    seconds = [
        max(0.0, (as_utc(a) - as_utc(c)).total_seconds())  # type: ignore[operator]
        for c, a in pairs
        if c is not None and a is not None
    ]
    buckets = [(bound, sum(1 for s in seconds if s <= bound)) for bound in ACCEPT_BUCKETS]
    return MetricsSnapshot(
        requests_by_status=by_status,
        offers_by_state=offers,
        queue_depth=sum(n for s, n in by_status.items() if s in OPEN_STATUSES),
        overdue=int(overdue or 0),
        accept_buckets=buckets,
        accept_count=len(seconds),
        accept_sum_s=float(sum(seconds)),
    )
