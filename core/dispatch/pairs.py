"""一助一 pairs: recurring visits become requests offered straight to the paired volunteer."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlmodel import Session

from core.dispatch.common import drain, unclaimed, utc
from core.dispatch.intake import default_skills, route
from core.dispatch.lifecycle import record_event, transition
from core.models import HelpRequest, PairSchedule, Resident
from core.settings import Settings


def _next_due_pair(
    session: Session, now: datetime, skip: set[int]
) -> tuple[int, PairSchedule] | None:
    """(pair id, pair) of the next active pair whose visit is due."""
    query = (
        select(PairSchedule)
        .where(PairSchedule.active.is_(True), PairSchedule.next_at <= now)
        .order_by(PairSchedule.next_at, PairSchedule.id)
    )
    pair = session.scalars(unclaimed(session, query, PairSchedule, skip)).first()
    return (pair.id or 0, pair) if pair else None


def start_pair_visit(
    session: Session, *, settings: Settings, pair: PairSchedule, due_at: datetime, now: datetime
) -> HelpRequest | None:
    """Create the visit request and offer it to the paired volunteer (inside the caller's txn)."""
    resident = session.get(Resident, pair.resident_id)
    if resident is None:
        return None
    req = HelpRequest(
        resident_id=pair.resident_id,
        text=pair.text,
        lang=resident.lang,
        area_id=resident.area_id,
        channel="pair",
        status="new",
        category=pair.category,
        urgency="flexible",
        confidence=1.0,
        skills=default_skills(pair.category, list(resident.disability_types or [])),
        classification={"source": "pair", "pair_id": pair.id},
        pair_id=pair.id,
        time_start=due_at,
        created_at=now,
        updated_at=now,
    )
    session.add(req)
    session.flush()
    record_event(session, request_id=req.id or 0, kind="created", from_status=None,
                 to_status="new", actor="system", now=now, data={"pair_id": pair.id})
    transition(session, req, to="classified", actor="system", now=now,
               data={"category": pair.category, "source": "pair"})
    # The pair's own volunteer is asked first, whoever the resident is paired with now.
    route(session, settings=settings, req=req, resident=resident, actor="system", now=now,
          paired_volunteer_id=pair.volunteer_id)
    return req


def process_due_pairs(
    sessions: Callable[[], Session], *, settings: Settings, now: datetime, limit: int
) -> int:
    """Start every due pair visit once, and move its next date on."""

    def handle(session: Session, pair: PairSchedule) -> bool:
        due_at = utc(pair.next_at) or now
        following = due_at + timedelta(days=max(1, pair.every_days))
        while following <= now:  # a worker that was down skips missed visits, not floods
            following += timedelta(days=max(1, pair.every_days))
        claimed = session.execute(
            update(PairSchedule)
            .where(PairSchedule.id == pair.id, PairSchedule.next_at == pair.next_at)
            .values(next_at=following)
            .execution_options(synchronize_session=False)
        ).rowcount
        if claimed != 1:
            session.rollback()
            return False
        start_pair_visit(session, settings=settings, pair=pair, due_at=due_at, now=now)
        session.commit()
        return True

    return drain(sessions, limit=limit, next_due=lambda session, skip: _next_due_pair(
        session, now, skip), handle=handle)
