"""The dispatch worker: due offer deadlines (widening) and due 一助一 visits, exactly once."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select, update
from sqlmodel import Session

from core.dispatch.accept import widen
from core.dispatch.common import now_utc
from core.dispatch.lifecycle import StaleRequest
from core.dispatch.pairs import process_due_pairs
from core.models import HelpRequest
from core.settings import Settings

log = logging.getLogger(__name__)


def _next_due(session: Session, now: datetime, skip: set[int]) -> tuple[int, int] | None:
    query = (
        select(HelpRequest.id, HelpRequest.ring)
        .where(HelpRequest.status == "offered", HelpRequest.deadline <= now)
        .order_by(HelpRequest.deadline, HelpRequest.id)
        .limit(1)
    )
    if skip:
        query = query.where(HelpRequest.id.not_in(skip))
    if session.get_bind().dialect.name == "postgresql":
        # Another worker holding a row keeps it; we take the next one instead of waiting.
        query = query.with_for_update(skip_locked=True, of=HelpRequest)
    row = session.execute(query).first()
    return (row[0], row[1]) if row else None


def widen_due(sessions: Callable[[], Session], *, settings: Settings, now: datetime,
              limit: int) -> int:
    """Widen every request whose offer deadline passed; each in its own transaction."""
    handled = 0
    skip: set[int] = set()
    while handled < limit:
        with sessions() as session:
            due = _next_due(session, now, skip)
            if due is None:
                session.rollback()
                break
            request_id, ring = due
            skip.add(request_id)
            # The guard: only one worker moves this ring on (the others match no row).
            claimed = session.execute(
                update(HelpRequest)
                .where(HelpRequest.id == request_id, HelpRequest.status == "offered",
                       HelpRequest.ring == ring, HelpRequest.deadline <= now)
                .values(updated_at=now)
                .execution_options(synchronize_session=False)
            ).rowcount
            if claimed != 1:
                session.rollback()
                continue
            req = session.get(HelpRequest, request_id)
            if req is None:  # pragma: no cover - rows are never deleted
                session.rollback()
                continue
            session.refresh(req)
            try:
                widen(session, settings=settings, req=req, actor="system", now=now)
                session.commit()
                handled += 1
            except StaleRequest:
                session.rollback()
    return handled


def process_due(
    sessions: Callable[[], Session],
    *,
    settings: Settings,
    now: datetime | None = None,
    limit: int = 100,
) -> int:
    """One worker tick: widen overdue offers and start due pair visits. Returns how many."""
    moment = now_utc(now)
    handled = widen_due(sessions, settings=settings, now=moment, limit=limit)
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
