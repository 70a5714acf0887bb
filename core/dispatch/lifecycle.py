"""The request lifecycle: allowed transitions, guarded status updates, the event log."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, union_all, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session

from core.exceptions import IllegalTransition
from core.models import Event, HelpRequest, RequestStatus
from core.prepared import detached

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
# Several events in one multi-row INSERT, matched back by kind (distinct within a step).
_INSERT_EVENTS = insert(Event).returning(Event.id, Event.kind)
# Guarded status UPDATEs, one per set of changed columns: built and cache-keyed once each.
_UPDATES: dict[tuple[str, ...], Any] = {}


def _guarded_update(names: tuple[str, ...]) -> Any:
    """UPDATE helprequest SET <names> WHERE id = :id AND status = :current, built once."""
    stmt = _UPDATES.get(names)
    if stmt is None:
        columns = HelpRequest.__table__.c
        stmt = (
            update(HelpRequest)
            .where(HelpRequest.id == bindparam("w_id"),
                   HelpRequest.status == bindparam("w_status"))
            .values({name: bindparam(f"v_{name}", type_=columns[name].type) for name in names})
        )
        _UPDATES[names] = stmt
    return stmt


class StaleRequest(Exception):
    """The guarded update found the request no longer in the expected state (someone was first)."""


def changed_meanwhile(request_id: int) -> Callable[[], Exception]:
    """What one_transaction raises when another writer moved the request first."""
    return lambda: IllegalTransition("request changed meanwhile", request_id=request_id)


@contextmanager
def one_transaction(session: Session, lost: Callable[[], Exception]) -> Iterator[None]:
    """Commit the block's writes together; roll back on any error.

    A lost race (StaleRequest from a guarded update) is rolled back and raised as `lost()`,
    called after the rollback so it may read what the winner wrote.
    """
    try:
        yield
        session.commit()
    except StaleRequest:
        session.rollback()
        raise lost() from None
    except BaseException:
        session.rollback()
        raise


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
    return detached(Event, {"id": event_id, **row})


def _update_and_log(names: tuple[str, ...], events: int) -> Any:
    """PostgreSQL: WITH moved AS (guarded UPDATE ... RETURNING id) INSERT the events FROM moved."""
    key = ("log", events, *names)
    stmt = _UPDATES.get(key)
    if stmt is None:
        moved = _guarded_update(names).returning(HelpRequest.id).cte("moved")
        columns = Event.__table__.c
        logged = ("at", "kind", "from_status", "to_status", "actor", "data")
        rows = [
            select(moved.c.id, *[bindparam(f"e{index}_{name}", type_=columns[name].type)
                                 for name in logged])
            for index in range(events)
        ]
        stmt = (
            insert(Event)
            .from_select(["request_id", *logged], rows[0] if events == 1 else union_all(*rows))
            .returning(Event.id, Event.kind)
            .add_cte(moved)
        )
        _UPDATES[key] = stmt
    return stmt


def _event_rows(
    req: HelpRequest, steps: list[dict[str, Any]], now: datetime
) -> list[dict[str, Any]]:
    """The event rows of a chain of steps from the request's status, each step checked."""
    rows = []
    status = req.status
    for step in steps:
        if not is_allowed(status, step["to"]):
            raise IllegalTransition("transition not allowed", request_id=req.id,
                                    from_status=status, to_status=step["to"])
        rows.append({
            "request_id": req.id or 0, "at": now, "kind": step["kind"], "from_status": status,
            "to_status": step["to"], "actor": step["actor"], "data": step.get("data") or {},
        })
        status = step["to"]
    return rows


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
    before: tuple[dict[str, Any], ...] = (),
) -> Event:
    """Move req to `to` with a conditional UPDATE on its current status, and log the event.

    The UPDATE ... WHERE status = :current is the lock point: of two concurrent callers only
    one matches a row; the other gets StaleRequest and must roll back. `before`: steps taken
    on the way (each {"to", "kind", "actor", "data"}), logged as events of their own but
    written by the same UPDATE (classified then offered is one statement, not two).
    """
    steps = [*before, {"to": to, "kind": kind or to, "actor": actor, "data": data}]
    if len({step["kind"] for step in steps}) != len(steps):
        raise ValueError("the steps of one transition need distinct kinds")
    rows = _event_rows(req, steps, now)
    changes: dict[str, Any] = {"status": to, "updated_at": now, **(values or {})}
    if to in TERMINAL:
        changes.setdefault("closed_at", now)
    params = {f"v_{name}": value for name, value in changes.items()}
    params.update(w_id=req.id, w_status=req.status)
    # Core execution on the session's connection (same transaction): no ORM bookkeeping.
    connection = session.connection()
    if not where and connection.dialect.name == "postgresql":
        # One round trip: the events are inserted only for the row the guarded UPDATE moved.
        for index, row in enumerate(rows):
            params.update({f"e{index}_{name}": value for name, value in row.items()
                           if name != "request_id"})
        ids = dict(
            (event_kind, event_id) for event_id, event_kind
            in connection.execute(_update_and_log(tuple(changes), len(rows)), params)
        )
        if not ids:
            raise StaleRequest(req.id)
    else:
        if where:
            stmt = (
                update(HelpRequest)
                .where(HelpRequest.id == req.id, HelpRequest.status == req.status, *where)
                .values(**changes)
            )
            result = connection.execute(stmt)
        else:
            result = connection.execute(_guarded_update(tuple(changes)), params)
        if result.rowcount != 1:
            raise StaleRequest(req.id)
        if len(rows) == 1:
            ids = {rows[0]["kind"]: connection.execute(_INSERT_EVENT, rows[0]).scalar_one()}
        else:
            ids = dict((event_kind, event_id) for event_id, event_kind
                       in connection.execute(_INSERT_EVENTS, rows))
    for name, value in changes.items():
        set_committed_value(req, name, value)
    last = rows[-1]
    return detached(Event, {"id": ids[last["kind"]], **last})


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
