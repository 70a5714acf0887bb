"""Answering an offer: first accept wins (one conditional UPDATE), declines may widen at once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlmodel import Session

from core.dispatch.common import (
    area_name,
    category_label,
    get_request,
    get_resident,
    get_volunteer,
    now_utc,
    volunteer_lang,
    when_text,
)
from core.dispatch.lifecycle import (
    StaleRequest,
    lock_request,
    one_transaction,
    record_event,
    transition,
)
from core.dispatch.offers import close_pending_offers, offer_from, tell_resident
from core.dispatch.outbox import notify
from core.exceptions import NotAllowed, NotFound, OfferClosed, RequestAlreadyTaken
from core.models import HelpRequest, Offer, Resident, Team, Volunteer
from core.settings import Settings

TAKEN_STATUSES = frozenset({"accepted", "in_progress", "done", "confirmed", "disputed"})


def _get_offer(session: Session, offer_id: int, volunteer_id: int) -> Offer:
    offer = session.get(Offer, offer_id)
    if offer is None:
        raise NotFound("offer not found", offer_id=offer_id)
    if offer.volunteer_id != volunteer_id:
        raise NotAllowed("not your offer", offer_id=offer_id)
    return offer


def _closed(session: Session, offer: Offer, volunteer_id: int) -> Exception:
    """Why an accept did not win: somebody else has it, or the offer ended."""
    session.expire_all()
    req = session.get(HelpRequest, offer.request_id)
    if req is not None and req.status in TAKEN_STATUSES and req.volunteer_id != volunteer_id:
        return RequestAlreadyTaken("request already taken", request_id=req.id, offer_id=offer.id)
    return OfferClosed("offer closed", offer_id=offer.id)


def private_details(
    session: Session, req: HelpRequest, resident: Resident, lang: str
) -> dict[str, object]:
    """What only the accepting volunteer (and coordinators) see: address, phone, needs, words."""
    disabilities = ", ".join(
        category_label_for_disability(d, lang) for d in (resident.disability_types or [])
    )
    return {
        "request_id": req.id,
        "category": category_label(req.category, lang),
        "name": resident.name,
        "address": resident.address or "",
        "phone": resident.phone or "",
        "disability": disabilities,
        "text": req.text or req.transcript or "",
        "area": area_name(session, req.area_id, lang),
        "when": when_text(req, resident.timezone, lang),
    }


def category_label_for_disability(disability: str, lang: str) -> str:
    """The spoken name of a disability type."""
    from core import texts

    return texts.get(f"dispatch.disability.{disability}", lang)


def work_buttons(request_id: int) -> list[dict[str, object]]:
    """The buttons a volunteer uses while doing the task."""
    return [
        {"key": "dispatch.button.on_my_way", "data": f"request:start:{request_id}"},
        {"key": "dispatch.button.arrived", "data": f"request:arrived:{request_id}"},
        {"key": "dispatch.button.done", "data": f"request:done:{request_id}"},
    ]


def hand_over(
    session: Session, *, req: HelpRequest, resident: Resident, volunteer: Volunteer,
    event_id: int, now: datetime,
) -> None:
    """The private details go to the volunteer who took the task, the good news to the resident."""
    lang = volunteer_lang(volunteer)
    notify(
        session,
        recipient_kind="volunteer",
        recipient_id=volunteer.id or 0,
        key="offer.accepted_details",
        values=private_details(session, req, resident, lang),
        buttons=work_buttons(req.id or 0),
        request_id=req.id,
        dedupe_key=f"ev{event_id}:details:volunteer:{volunteer.id}",
        now=now,
    )
    session.execute(
        update(Volunteer).where(Volunteer.id == volunteer.id).values(last_assigned_at=now)
        .execution_options(synchronize_session=False)
    )
    if req.team_id is not None:
        session.execute(
            update(Team).where(Team.id == req.team_id).values(last_assigned_at=now)
            .execution_options(synchronize_session=False)
        )


def accept_offer(
    session: Session,
    *,
    settings: Settings,
    offer_id: int,
    volunteer_id: int,
    now: datetime | None = None,
) -> HelpRequest:
    """Take the task. Exactly one of any number of concurrent accepts wins."""
    moment = now_utc(now)
    offer = _get_offer(session, offer_id, volunteer_id)
    if offer.state == "accepted":
        return get_request(session, offer.request_id)
    if offer.state != "pending":
        raise _closed(session, offer, volunteer_id)
    req = get_request(session, offer.request_id)
    if req.status != "offered":
        raise _closed(session, offer, volunteer_id)
    with one_transaction(session, lambda: _closed(session, offer, volunteer_id)):
        # The lock point: UPDATE helprequest ... WHERE status='offered' AND ring=<this ring>.
        event = transition(
            session, req, to="accepted", actor=f"volunteer:{volunteer_id}", now=moment,
            values={"volunteer_id": volunteer_id, "team_id": offer.team_id,
                    "accepted_at": moment, "deadline": None},
            where=(HelpRequest.ring == offer.ring,),
            data={"offer_id": offer_id, "ring": offer.ring},
        )
        won = session.execute(
            update(Offer).where(Offer.id == offer_id, Offer.state == "pending")
            .values(state="accepted", answered_at=moment)
            .execution_options(synchronize_session=False)
        ).rowcount
        if won != 1:
            raise StaleRequest(req.id)
        close_pending_offers(session, req=req, state="withdrawn", key="offer.taken",
                             now=moment)
        resident = get_resident(session, req.resident_id)
        volunteer = get_volunteer(session, volunteer_id)
        hand_over(session, req=req, resident=resident, volunteer=volunteer,
                  event_id=event.id or 0, now=moment)
        tell_resident(session, req=req, resident=resident, key="dispatch.resident.accepted",
                      event=event, now=moment, values={"volunteer": volunteer.name})
    session.refresh(req)
    return req


def decline_offer(
    session: Session,
    *,
    settings: Settings,
    offer_id: int,
    volunteer_id: int,
    reason: str | None = None,
    now: datetime | None = None,
) -> Offer:
    """Say no. When every offer of the ring is declined, the next ring is asked at once."""
    moment = now_utc(now)
    offer = _get_offer(session, offer_id, volunteer_id)
    if offer.state != "pending":
        raise OfferClosed("offer closed", offer_id=offer_id)
    req = get_request(session, offer.request_id)
    with one_transaction(session, lambda: OfferClosed("offer closed", offer_id=offer_id)):
        lock_request(session, req, now=moment)
        done = session.execute(
            update(Offer).where(Offer.id == offer_id, Offer.state == "pending")
            .values(state="declined", answered_at=moment, reason=(reason or None) and reason[:500])
            .execution_options(synchronize_session=False)
        ).rowcount
        if done != 1:
            raise StaleRequest(req.id)
        record_event(
            session, request_id=req.id or 0, kind="offer_declined", from_status=req.status,
            to_status=req.status, actor=f"volunteer:{volunteer_id}", now=moment,
            data={"offer_id": offer_id, "ring": offer.ring, "reason": reason},
        )
        still_open = session.scalar(
            select(Offer.id).where(
                Offer.request_id == req.id, Offer.ring == offer.ring, Offer.state == "pending"
            ).limit(1)
        )
        if req.status == "offered" and req.ring == offer.ring and still_open is None:
            widen(session, settings=settings, req=req, actor="system", now=moment)
    session.expire(offer)
    session.refresh(offer)
    return offer


def widen(session: Session, *, settings: Settings, req: HelpRequest, actor: str,
          now: datetime) -> bool:
    """Close this ring's offers and ask the next ring (or hand over to a coordinator)."""
    resident = get_resident(session, req.resident_id)
    close_pending_offers(session, req=req, state="expired", key="dispatch.volunteer.offer_expired",
                         now=now)
    return offer_from(session, settings=settings, req=req, resident=resident, start=req.ring + 1,
                      actor=actor, now=now, kind="widened")
