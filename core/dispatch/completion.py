"""Doing the task: on my way, arrived, done with hours, the resident's confirmation and rating."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlmodel import Session

from core.dispatch.common import (
    get_request,
    get_resident,
    get_volunteer,
    now_utc,
    parse_actor,
    require_volunteer,
)
from core.dispatch.ledger import append_record
from core.dispatch.lifecycle import changed_meanwhile, one_transaction, transition
from core.dispatch.offers import alert_coordinators, tell_resident
from core.dispatch.outbox import notify
from core.exceptions import IllegalTransition, InvalidInput, NotAllowed
from core.models import Feedback, HelpRequest, ServiceRecord
from core.settings import Settings

MAX_HOURS = 24.0


def _volunteer_step(
    session: Session, *, request_id: int, volunteer_id: int, to: str, kind: str,
    key: str, now: datetime | None, allowed_from: tuple[str, ...],
    values: dict[str, object] | None = None, note_values: dict[str, object] | None = None,
    buttons: list[dict[str, object]] | None = None,
) -> HelpRequest:
    moment = now_utc(now)
    req = get_request(session, request_id)
    require_volunteer(req, volunteer_id)
    if req.status not in allowed_from:
        raise IllegalTransition("not now", request_id=request_id, status=req.status)
    volunteer = get_volunteer(session, volunteer_id)
    with one_transaction(session, changed_meanwhile(request_id)):
        event = transition(session, req, to=to, kind=kind, actor=f"volunteer:{volunteer_id}",
                           now=moment, values=values, data=note_values)
        resident = get_resident(session, req.resident_id)
        tell_resident(session, req=req, resident=resident, key=key, event=event, now=moment,
                      values={"volunteer": volunteer.name, **(note_values or {})},
                      buttons=buttons)
    return req


def start_request(
    session: Session, *, settings: Settings, request_id: int, volunteer_id: int,
    now: datetime | None = None,
) -> HelpRequest:
    """The volunteer is on the way."""
    return _volunteer_step(
        session, request_id=request_id, volunteer_id=volunteer_id, to="in_progress",
        kind="in_progress", key="dispatch.resident.on_the_way", now=now,
        allowed_from=("accepted",),
    )


def mark_arrived(
    session: Session, *, settings: Settings, request_id: int, volunteer_id: int,
    now: datetime | None = None,
) -> HelpRequest:
    """The volunteer has arrived (starts the task if 'on my way' was skipped)."""
    return _volunteer_step(
        session, request_id=request_id, volunteer_id=volunteer_id, to="in_progress",
        kind="arrived", key="dispatch.resident.arrived", now=now,
        allowed_from=("accepted", "in_progress"),
    )


def complete_request(
    session: Session, *, settings: Settings, request_id: int, volunteer_id: int, hours: float,
    note: str | None = None, now: datetime | None = None,
) -> HelpRequest:
    """The volunteer reports the task done with its hours; the resident is asked to confirm."""
    try:
        hours = float(hours)
    except (TypeError, ValueError) as exc:
        raise InvalidInput("hours must be a number", detail="hours") from exc
    if not 0 < hours <= MAX_HOURS:
        raise InvalidInput("hours out of range", detail="hours")
    hours = round(hours, 2)
    moment = now_utc(now)
    rating_buttons = [
        {"key": "dispatch.button.rate", "values": {"stars": n},
         "data": f"feedback:{request_id}:{n}"}
        for n in range(5, 0, -1)
    ] + [{"key": "dispatch.button.hours_wrong", "data": f"feedback:{request_id}:dispute"}]
    return _volunteer_step(
        session, request_id=request_id, volunteer_id=volunteer_id, to="done", kind="done",
        key="dispatch.resident.done", now=moment, allowed_from=("accepted", "in_progress"),
        values={"hours_reported": hours, "done_at": moment,
                "note": (note or None) and note[:2000]},
        note_values={"hours": hours}, buttons=rating_buttons,
    )


def give_feedback(
    session: Session, *, settings: Settings, request_id: int, resident_id: int, rating: int,
    comment: str | None = None, hours_confirmed: bool = True, now: datetime | None = None,
) -> Feedback:
    """The resident rates 1–5 and confirms the hours (→ ledger) or disputes them (→ coordinator)."""
    if not isinstance(rating, int) or isinstance(rating, bool) or not 1 <= rating <= 5:
        raise InvalidInput("rating must be 1 to 5", detail="rating")
    moment = now_utc(now)
    req = get_request(session, request_id)
    if req.resident_id != resident_id:
        raise NotAllowed("not your request", request_id=request_id)
    if req.status != "done":
        raise IllegalTransition("nothing to confirm", request_id=request_id, status=req.status)
    with one_transaction(session, changed_meanwhile(request_id)):
        to = "confirmed" if hours_confirmed else "disputed"
        # The status UPDATE comes first: it is the write lock that also orders ledger appends.
        event = transition(session, req, to=to, actor=f"resident:{resident_id}", now=moment,
                           data={"rating": rating, "hours_confirmed": hours_confirmed})
        feedback = Feedback(
            request_id=request_id, rating=rating, comment=(comment or None) and comment[:2000],
            hours_confirmed=hours_confirmed, hours_claimed=req.hours_reported, created_at=moment,
        )
        session.add(feedback)
        session.flush()
        resident = get_resident(session, resident_id)
        if hours_confirmed:
            _record_service(session, req=req, rating=rating, hours=req.hours_reported or 0.0,
                            event_id=event.id or 0, now=moment)
            tell_resident(session, req=req, resident=resident, key="dispatch.resident.thanks",
                          event=event, now=moment)
        else:
            tell_resident(session, req=req, resident=resident, key="dispatch.resident.disputed",
                          event=event, now=moment)
            alert_coordinators(session, req=req, resident=resident,
                               key="dispatch.coordinator.disputed", event=event, now=moment,
                               values={"hours": req.hours_reported or 0.0})
    return feedback


def _record_service(
    session: Session, *, req: HelpRequest, rating: int | None, hours: float, event_id: int,
    now: datetime,
) -> None:
    record = append_record(session, req=req, hours=hours, rating=rating, now=now)
    if req.volunteer_id is None:
        return
    volunteer = get_volunteer(session, req.volunteer_id)
    notify(
        session, recipient_kind="volunteer", recipient_id=volunteer.id or 0,
        key="dispatch.volunteer.recorded",
        values={"request_id": req.id, "hours": record.hours, "rating": rating or "",
                "total_hours": _total_hours(session, volunteer.id or 0)},
        request_id=req.id, dedupe_key=f"ev{event_id}:recorded:volunteer:{volunteer.id}",
        now=now,
    )


def resolve_dispute(
    session: Session, *, settings: Settings, request_id: int, actor: str, hours: float,
    now: datetime | None = None,
) -> HelpRequest:
    """A coordinator settles disputed hours: the service is confirmed with those hours."""
    kind, _ = parse_actor(actor)
    if kind not in ("coordinator", "admin"):
        raise NotAllowed("coordinators only")
    if not 0 < float(hours) <= MAX_HOURS:
        raise InvalidInput("hours out of range", detail="hours")
    moment = now_utc(now)
    req = get_request(session, request_id)
    if req.status != "disputed":
        raise IllegalTransition("not disputed", request_id=request_id, status=req.status)
    with one_transaction(session, changed_meanwhile(request_id)):
        event = transition(session, req, to="confirmed", actor=actor, now=moment,
                           kind="dispute_resolved",
                           values={"hours_reported": round(float(hours), 2)},
                           data={"hours": round(float(hours), 2)})
        feedback = session.scalars(
            select(Feedback).where(Feedback.request_id == request_id)
        ).first()
        _record_service(session, req=req, rating=feedback.rating if feedback else None,
                        hours=round(float(hours), 2), event_id=event.id or 0, now=moment)
    return req


def _total_hours(session: Session, volunteer_id: int) -> float:
    total = session.scalar(
        select(func.coalesce(func.sum(ServiceRecord.hours), 0.0)).where(
            ServiceRecord.volunteer_id == volunteer_id
        )
    )
    return round(float(total or 0.0), 2)
