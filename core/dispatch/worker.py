"""The dispatch worker: due offer deadlines (widening), due 一助一 visits, and requests a stopped
process left unclassified, each exactly once."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlmodel import Session

from core.dispatch.accept import widen
from core.dispatch.common import drain, get_resident, now_utc, unclaimed
from core.dispatch.intake import finish_intake
from core.dispatch.lifecycle import StaleRequest
from core.dispatch.pairs import process_due_pairs
from core.models import Event, HelpRequest
from core.settings import Settings

log = logging.getLogger(__name__)
# A request still `new` this long after it was stored lost its process between storing and
# classifying (create_request commits in between); the worker finishes it.
STRANDED_AFTER_S = 120


def _next_due(session: Session, now: datetime, skip: set[int]) -> tuple[int, int] | None:
    """(request id, ring) of the next request whose offer deadline passed."""
    row = session.execute(unclaimed(
        session,
        select(HelpRequest.id, HelpRequest.ring)
        .where(HelpRequest.status == "offered", HelpRequest.deadline <= now)
        .order_by(HelpRequest.deadline, HelpRequest.id),
        HelpRequest, skip,
    )).first()
    return (row[0], (row[0], row[1])) if row else None


def widen_due(sessions: Callable[[], Session], *, settings: Settings, now: datetime,
              limit: int) -> int:
    """Widen every request whose offer deadline passed; each in its own transaction."""

    def handle(session: Session, due: tuple[int, int]) -> bool:
        request_id, ring = due
        # The guard: only one worker moves this ring on (the others match no row).
        claimed = session.execute(
            update(HelpRequest)
            .where(HelpRequest.id == request_id, HelpRequest.status == "offered",
                   HelpRequest.ring == ring, HelpRequest.deadline <= now)
            .values(updated_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        req = session.get(HelpRequest, request_id) if claimed == 1 else None
        if req is None:  # another worker was first (rows are never deleted)
            session.rollback()
            return False
        session.refresh(req)
        try:
            widen(session, settings=settings, req=req, actor="system", now=now)
        except StaleRequest:
            session.rollback()
            return False
        session.commit()
        return True

    return drain(sessions, limit=limit, next_due=lambda session, skip: _next_due(
        session, now, skip), handle=handle)


def _next_stranded(session: Session, before: datetime, skip: set[int]) -> tuple[int, int] | None:
    """(request id, request id) of the next request left `new` since before `before`."""
    row = session.execute(unclaimed(
        session,
        select(HelpRequest.id)
        .where(HelpRequest.status == "new", HelpRequest.created_at <= before)
        .order_by(HelpRequest.created_at, HelpRequest.id),
        HelpRequest, skip,
    )).first()
    return (row[0], row[0]) if row else None


def finish_stranded(sessions: Callable[[], Session], *, settings: Settings, now: datetime,
                    limit: int) -> int:
    """Classify (and route, when the filer asked for that) requests left `new` by a process
    that stopped between storing and classifying them; each in its own transaction."""
    before = now - timedelta(seconds=STRANDED_AFTER_S)

    def handle(session: Session, request_id: int) -> bool:
        req = session.get(HelpRequest, request_id)
        if req is None:  # pragma: no cover - rows are never deleted
            return False
        session.refresh(req)
        asked = session.scalars(
            select(Event.data).where(Event.request_id == request_id, Event.kind == "created")
        ).first() or {}
        finish_intake(
            session, settings=settings, req=req,
            resident=get_resident(session, req.resident_id),
            category=asked.get("category"), urgency=asked.get("urgency"),
            skills=asked.get("skills"), confirmed_by=asked.get("confirmed_by"), now=now,
        )
        if req.status == "new":
            return False
        log.info("finished request %s, left unclassified by a stopped process", request_id)
        return True

    return drain(sessions, limit=limit, next_due=lambda session, skip: _next_stranded(
        session, before, skip), handle=handle)


def process_due(
    sessions: Callable[[], Session],
    *,
    settings: Settings,
    now: datetime | None = None,
    limit: int = 100,
) -> int:
    """One worker tick: widen overdue offers, start due pair visits, finish stranded intakes.
    Returns how many."""
    moment = now_utc(now)
    handled = widen_due(sessions, settings=settings, now=moment, limit=limit)
    handled += finish_stranded(sessions, settings=settings, now=moment, limit=limit)
    handled += process_due_pairs(sessions, settings=settings, now=moment, limit=limit)
    return handled


def run_worker(
    sessions: Callable[[], Session],
    *,
    settings: Settings,
    stop: threading.Event | None = None,
) -> None:
    """Tick every settings.worker_interval_s until stop is set; errors are logged, not fatal."""
    stop = stop or threading.Event()
    while not stop.is_set():
        try:
            busy = process_due(sessions, settings=settings)
        except Exception:  # noqa: BLE001 - keep the worker alive; the next tick retries
            log.exception("dispatch worker tick failed")
            busy = 0
        if not busy:
            stop.wait(settings.worker_interval_s)
