"""Stepping in: cancelling a request, and coordinators reassigning or assigning directly."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from core.dispatch.accept import hand_over
from core.dispatch.common import (
    category_label,
    get_area,
    get_request,
    get_resident,
    get_volunteer,
    now_utc,
    parse_actor,
    volunteer_lang,
)
from core.dispatch.intake import route
from core.dispatch.lifecycle import TERMINAL, changed_meanwhile, one_transaction, transition
from core.dispatch.matching import eligible_volunteers
from core.dispatch.offers import (
    close_pending_offers,
    make_offers,
    tell_resident,
)
from core.dispatch.outbox import notify
from core.exceptions import IllegalTransition, InvalidInput, NotAllowed, NotFound
from core.models import OPEN_STATUSES, CarerLink, Coordinator, HelpRequest, Team
from core.settings import Settings


def _coordinator_covers(session: Session, coordinator_id: int | None, req: HelpRequest) -> bool:
    """A coordinator acts on requests in their area or below it."""
    coordinator = session.get(Coordinator, coordinator_id) if coordinator_id else None
    if coordinator is None:
        return False
    if req.area_id is None:
        return True
    area = get_area(session, req.area_id)
    return area is not None and f"/{coordinator.area_id}/" in area.path


def _tell_assigned_volunteer(
    session: Session, *, req: HelpRequest, key: str, event_id: int, now: datetime
) -> None:
    if req.volunteer_id is None:
        return
    volunteer = get_volunteer(session, req.volunteer_id)
    notify(
        session, recipient_kind="volunteer", recipient_id=volunteer.id or 0, key=key,
        values={"request_id": req.id,
                "category": category_label(req.category, volunteer_lang(volunteer))},
        request_id=req.id, dedupe_key=f"ev{event_id}:{key}:volunteer:{volunteer.id}", now=now,
    )


def cancel_request(
    session: Session, *, settings: Settings, request_id: int, actor: str,
    reason: str | None = None, now: datetime | None = None,
) -> HelpRequest:
    """Cancel an open request (by its resident, their carer, a coordinator or an admin)."""
    moment = now_utc(now)
    kind, ident = parse_actor(actor)
    req = get_request(session, request_id)
    allowed = (
        kind in ("admin", "system")
        or (kind == "resident" and ident == req.resident_id)
        or (kind == "carer" and ident is not None
            and (req.carer_id == ident or session.get(CarerLink, (ident, req.resident_id))))
        or (kind == "coordinator" and _coordinator_covers(session, ident, req))
    )
    if not allowed:
        raise NotAllowed("not your request", request_id=request_id)
    if req.status not in OPEN_STATUSES:
        raise IllegalTransition("request is closed", request_id=request_id, status=req.status)
    with one_transaction(session, changed_meanwhile(request_id)):
        event = transition(session, req, to="cancelled", actor=actor, now=moment,
                           values={"deadline": None}, data={"reason": reason})
        close_pending_offers(session, req=req, state="withdrawn",
                             key="dispatch.volunteer.cancelled", now=moment)
        _tell_assigned_volunteer(session, req=req, key="dispatch.volunteer.cancelled",
                                 event_id=event.id or 0, now=moment)
        resident = get_resident(session, req.resident_id)
        tell_resident(session, req=req, resident=resident, key="dispatch.resident.cancelled",
                      event=event, now=moment)
    return req


def reassign_request(
    session: Session, *, settings: Settings, request_id: int, actor: str,
    team_id: int | None = None, volunteer_id: int | None = None, now: datetime | None = None,
) -> HelpRequest:
    """A coordinator steps in: assign a volunteer directly, offer to a chosen team, or re-route."""
    moment = now_utc(now)
    kind, ident = parse_actor(actor)
    req = get_request(session, request_id)
    if not (kind in ("admin", "system")
            or (kind == "coordinator" and _coordinator_covers(session, ident, req))):
        raise NotAllowed("coordinators only", request_id=request_id)
    if req.status in TERMINAL or req.status in ("done", "disputed"):
        raise IllegalTransition("request is closed", request_id=request_id, status=req.status)
    if req.category is None and volunteer_id is None:
        raise InvalidInput("category needed", detail="category")
    resident = get_resident(session, req.resident_id)
    with one_transaction(session, changed_meanwhile(request_id)):
        close_pending_offers(session, req=req, state="withdrawn",
                             key="offer.taken", now=moment)
        previous = req.volunteer_id
        if volunteer_id is not None:
            volunteer = get_volunteer(session, volunteer_id)
            event = transition(
                session, req, to="accepted", actor=actor, now=moment, kind="assigned",
                values={"volunteer_id": volunteer_id, "team_id": team_id or req.team_id,
                        "accepted_at": moment, "deadline": None, "ring": req.ring + 1},
                data={"volunteer_id": volunteer_id, "previous_volunteer_id": previous},
            )
            if previous is not None and previous != volunteer_id:
                _notify_released(session, req=req, volunteer_id=previous,
                                 event_id=event.id or 0, now=moment)
            hand_over(session, req=req, resident=resident, volunteer=volunteer,
                      event_id=event.id or 0, now=moment)
            tell_resident(session, req=req, resident=resident, key="dispatch.resident.accepted",
                          event=event, now=moment, values={"volunteer": volunteer.name})
        elif team_id is not None:
            team = session.get(Team, team_id)
            if team is None:
                raise NotFound("team not found", team_id=team_id)
            candidate: dict[str, Any] = {
                "kind": "team", "team_id": team_id, "area_id": team.area_id,
                "reasons": ["coordinator_choice"],
            }
            routing = dict(req.routing or {})
            candidates = list(routing.get("candidates", [])) + [candidate]
            routing["candidates"] = candidates
            req.routing = routing
            chosen = eligible_volunteers(
                session, candidate=candidate, req=req, area_path=routing.get("area_path"),
                lang=req.lang or resident.lang or "zh", exclude=set(),
            )
            if not chosen:
                raise InvalidInput("nobody in that team is free", detail="team_id")
            if previous is not None:
                _notify_released(session, req=req, volunteer_id=previous, event_id=0, now=moment)
            make_offers(
                session, settings=settings, req=req, resident=resident,
                ring=len(candidates) - 1, candidate=candidate, volunteer_ids=chosen,
                actor=actor, now=moment, kind="reassigned",
            )
            req.volunteer_id = None
        else:
            if previous is not None:
                _notify_released(session, req=req, volunteer_id=previous, event_id=0, now=moment)
            req.volunteer_id = None
            route(session, settings=settings, req=req, resident=resident, actor=actor, now=moment)
    session.refresh(req)
    return req


def _notify_released(
    session: Session, *, req: HelpRequest, volunteer_id: int, event_id: int, now: datetime
) -> None:
    volunteer = get_volunteer(session, volunteer_id)
    notify(
        session, recipient_kind="volunteer", recipient_id=volunteer_id,
        key="dispatch.volunteer.released",
        values={"request_id": req.id,
                "category": category_label(req.category, volunteer_lang(volunteer))},
        request_id=req.id,
        dedupe_key=f"release:{req.id}:{volunteer_id}:{now.isoformat()}",
        now=now,
    )
