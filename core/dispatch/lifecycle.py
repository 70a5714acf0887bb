"""The request lifecycle: allowed transitions, guarded status updates, the event log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session

from core.exceptions import IllegalTransition
from core.models import Event, HelpRequest, RequestStatus

S = RequestStatus

# DESIGN.md "Request lifecycle". A status may move to itself only where a step happens
# inside it (a wider ring while offered, "arrived" while in progress).
ALLOWED: dict[str, frozenset[str]] = {
    S.new: frozenset({S.classified, S.needs_clarification, S.offered, S.unassigned, S.cancelled}),
    S.classified: frozenset(
        {S.classified, S.needs_clarification, S.offered, S.accepted, S.unassigned, S.cancelled}
    ),
    S.needs_clarification: frozenset(
        {S.classified, S.offered, S.accepted, S.unassigned, S.cancelled}
    ),
    S.offered: frozenset({S.offered, S.accepted, S.unassigned, S.cancelled}),
    S.accepted: frozenset(
        {S.accepted, S.in_progress, S.done, S.offered, S.unassigned, S.cancelled}
    ),
    S.in_progress: frozenset(
        {S.in_progress, S.done, S.offered, S.accepted, S.unassigned, S.cancelled}
    ),
    S.done: frozenset({S.confirmed, S.disputed}),
    S.disputed: frozenset({S.confirmed}),
    S.unassigned: frozenset({S.offered, S.accepted, S.cancelled}),
    S.confirmed: frozenset(),
    S.cancelled: frozenset(),
}
TERMINAL: frozenset[str] = frozenset({S.confirmed, S.cancelled})


_INSERT_EVENT = insert(Event).returning(Event.id)


class StaleRequest(Exception):
    """The guarded update found the request no longer in the expected state (someone was first)."""


def is_allowed(from_status: str, to_status: str) -> bool:
    """Whether the lifecycle allows this step."""
    return to_status in ALLOWED.get(from_status, frozenset())


def record_event(
    session: Session,
    *,
    request_id: int,
    kind: str,
    from_status: str | None,
    to_status: str | None,
    actor: str,
    now: datetime,
    data: dict[str, Any] | None = None,
) -> Event:
    """Append one event row (never updated) and give it an id."""
    row = {
        "request_id": request_id,
        "at": now,
        "kind": kind,
        "from_status": from_status,
        "to_status": to_status,
        "actor": actor,
        "data": data or {},
    }
    # A plain INSERT ... RETURNING id: events are write-only, the unit of work adds nothing.
    event_id = session.connection().execute(_INSERT_EVENT, row).scalar_one()
    return Event(id=event_id, **row)


def transition(
    session: Session,
    req: HelpRequest,
    *,
    to: str,
    actor: str,
    now: datetime,
    kind: str | None = None,
    data: dict[str, Any] | None = None,
    values: dict[str, Any] | None = None,
    where: tuple[Any, ...] = (),
) -> Event:
    """Move req to `to` with a conditional UPDATE on its current status, and log the event.

    The UPDATE ... WHERE status = :current is the lock point: of two concurrent callers only
    one matches a row; the other gets StaleRequest and must roll back.
    """
    current = req.status
    if not is_allowed(current, to):
        raise IllegalTransition(
            "transition not allowed", request_id=req.id, from_status=current, to_status=to
        )
    changes: dict[str, Any] = {"status": to, "updated_at": now, **(values or {})}
    if to in TERMINAL:
        changes.setdefault("closed_at", now)
    stmt = (
        update(HelpRequest)
        .where(HelpRequest.id == req.id, HelpRequest.status == current, *where)
        .values(**changes)
        .execution_options(synchronize_session=False)
    )
    # Core execution on the session's connection (same transaction): no ORM bookkeeping.
    result = session.connection().execute(stmt)
    if result.rowcount != 1:
        raise StaleRequest(req.id)
    for name, value in changes.items():
        set_committed_value(req, name, value)
    return record_event(
        session,
        request_id=req.id or 0,
        kind=kind or to,
        from_status=current,
        to_status=to,
        actor=actor,
        now=now,
        data=data,
    )


def lock_request(session: Session, req: HelpRequest, *, now: datetime) -> HelpRequest:
    """Take the request's row lock first (same order everywhere, so no deadlocks) and reload it."""
    session.execute(
        update(HelpRequest)
        .where(HelpRequest.id == req.id)
        .values(updated_at=now)
        .execution_options(synchronize_session=False)
    )
    session.refresh(req)
    return req
