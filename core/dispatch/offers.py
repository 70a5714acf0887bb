"""Making offers ring by ring, and the messages that go with them (no private details)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session

from core import texts
from core.dispatch.common import (
    area_name,
    category_label,
    get_area,
    urgency_label,
    volunteer_lang,
    when_text,
)
from core.dispatch.lifecycle import record_event, transition
from core.dispatch.matching import choose_volunteers, segments
from core.dispatch.outbox import notification_row, notify, notify_many
from core.models import (
    Area,
    Coordinator,
    Event,
    HelpRequest,
    Offer,
    Resident,
    Volunteer,
)
from core.prepared import detached
from core.settings import Settings

# One multi-row INSERT ... RETURNING; rows are matched back by volunteer_id (distinct within a
# ring), so no ordered RETURNING is needed (SQLite would fall back to a row at a time).
_INSERT_OFFERS = insert(Offer).returning(Offer.id, Offer.volunteer_id)
_INSERT_OFFERS_ORDERED = insert(Offer).returning(Offer.id, sort_by_parameter_order=True)


def offer_values(
    session: Session, req: HelpRequest, resident: Resident, offer: Offer, lang: str, minutes: int
) -> dict[str, Any]:
    """What an offer tells a volunteer: kind of help, urgency, area, time — never the address,
    phone, disability or the resident's own words (they may hold any of those)."""
    return {
        "request_id": req.id,
        "offer_id": offer.id,
        "category": category_label(req.category, lang),
        "urgency": urgency_label(req.urgency, lang),
        "area": area_name(session, req.area_id, lang),
        "when": when_text(req, resident.timezone, lang),
        "minutes": minutes,
    }


def offer_buttons(offer_id: int) -> list[dict[str, Any]]:
    """Accept / decline buttons of an offer message."""
    return [
        {"key": "dispatch.button.accept", "data": f"offer:accept:{offer_id}"},
        {"key": "dispatch.button.decline", "data": f"offer:decline:{offer_id}"},
    ]


def tell_resident(
    session: Session,
    *,
    req: HelpRequest,
    resident: Resident,
    key: str,
    event: Event,
    now: datetime,
    values: dict[str, Any] | None = None,
    buttons: list[dict[str, Any]] | None = None,
    collect: list[dict[str, Any]] | None = None,
) -> None:
    """A status message to the resident (and to the carer who asked for them).

    With `collect`, the outbox rows are appended to it for the caller's single INSERT.
    """
    lang = resident.lang or req.lang or "zh"
    base = {
        "request_id": req.id,
        "category": category_label(req.category, lang),
        **(values or {}),
    }
    rows = [notification_row(
        recipient_kind="resident",
        recipient_id=resident.id or 0,
        key=key,
        values=base,
        buttons=buttons,
        request_id=req.id,
        dedupe_key=f"ev{event.id}:{key}:resident:{resident.id}",
        now=now,
    )]
    if req.carer_id is not None:
        rows.append(notification_row(
            recipient_kind="carer",
            recipient_id=req.carer_id,
            key=key,
            values=base,
            buttons=buttons,
            request_id=req.id,
            dedupe_key=f"ev{event.id}:{key}:carer:{req.carer_id}",
            now=now,
        ))
    if collect is not None:
        collect.extend(rows)
    else:
        notify_many(session, rows)


def coordinators_for(session: Session, area_id: int | None) -> list[Coordinator]:
    """Coordinators of the request's area or any area above it (top-level ones when unknown)."""
    ids: list[int] = []
    if area_id is not None:
        area = get_area(session, area_id)
        if area is not None:
            ids = segments(area.path) or [area_id]
    if not ids:
        ids = list(session.scalars(select(Area.id).where(Area.parent_id.is_(None))))
    return list(session.scalars(select(Coordinator).where(Coordinator.area_id.in_(ids))))


def alert_coordinators(
    session: Session,
    *,
    req: HelpRequest,
    resident: Resident,
    key: str,
    event: Event,
    now: datetime,
    values: dict[str, Any] | None = None,
) -> int:
    """Tell the area's coordinators; they may see the resident's private details."""
    count = 0
    for coordinator in coordinators_for(session, req.area_id):
        lang = coordinator.lang
        notify(
            session,
            recipient_kind="coordinator",
            recipient_id=coordinator.id or 0,
            key=key,
            values={
                "request_id": req.id,
                "category": category_label(req.category, lang),
                "urgency": urgency_label(req.urgency, lang),
                "area": area_name(session, req.area_id, lang),
                "name": resident.name,
                "phone": resident.phone or "",
                "address": resident.address or "",
                "text": req.text or req.transcript or "",
                **(values or {}),
            },
            buttons=[{"key": "dispatch.button.open_request", "data": f"request:open:{req.id}"}],
            request_id=req.id,
            dedupe_key=f"ev{event.id}:{key}:coordinator:{coordinator.id}",
            now=now,
        )
        count += 1
    return count


def asked_volunteers(session: Session, request_id: int) -> set[int]:
    """Volunteers who already had an offer for this request (asked once is enough)."""
    return set(session.scalars(select(Offer.volunteer_id).where(Offer.request_id == request_id)))


def close_pending_offers(
    session: Session, *, req: HelpRequest, state: str, key: str, now: datetime
) -> list[Offer]:
    """Expire / withdraw every pending offer and tell those volunteers (with offer_id, so the
    bot can edit the original offer message)."""
    pending = list(
        session.scalars(
            select(Offer).where(Offer.request_id == req.id, Offer.state == "pending")
        )
    )
    if not pending:
        return []
    session.execute(
        update(Offer)
        .where(Offer.id.in_([o.id for o in pending]), Offer.state == "pending")
        .values(state=state, answered_at=now)
        .execution_options(synchronize_session=False)
    )
    for offer in pending:
        offer.state = state
        session.expire(offer)
        volunteer = session.get(Volunteer, offer.volunteer_id)
        lang = volunteer_lang(volunteer) if volunteer else "zh"
        notify(
            session,
            recipient_kind="volunteer",
            recipient_id=offer.volunteer_id,
            key=key,
            values={
                "request_id": req.id,
                "offer_id": offer.id,
                "category": category_label(req.category, lang),
            },
            request_id=req.id,
            offer_id=offer.id,
            dedupe_key=f"offer{offer.id}:{state}",
            now=now,
        )
    return pending


def go_unassigned(
    session: Session, *, req: HelpRequest, resident: Resident, actor: str, now: datetime,
    reason: str, values: dict[str, Any] | None = None,
) -> Event:
    """Nobody left to ask: the request waits for a coordinator, who is alerted.

    `values`: more request columns to store with the status change (e.g. a new routing).
    """
    if req.status == "unassigned":
        if values:  # no status change to carry them: store them on their own
            session.connection().execute(
                update(HelpRequest).where(HelpRequest.id == req.id).values(**values)
            )
            for name, value in values.items():
                set_committed_value(req, name, value)
        event = record_event(
            session, request_id=req.id or 0, kind="still_unassigned", from_status=req.status,
            to_status=req.status, actor=actor, now=now, data={"reason": reason},
        )
        alert_coordinators(session, req=req, resident=resident,
                           key="dispatch.coordinator.unassigned", event=event, now=now)
        return event
    event = transition(
        session, req, to="unassigned", actor=actor, now=now,
        data={"reason": reason}, values={"deadline": None, **(values or {})},
    )
    tell_resident(session, req=req, resident=resident, key="dispatch.resident.unassigned",
                  event=event, now=now)
    alert_coordinators(session, req=req, resident=resident, key="dispatch.coordinator.unassigned",
                       event=event, now=now)
    return event


@dataclass(frozen=True)
class RingChoice:
    """The first ring with someone free: who is asked, and the rings passed over on the way."""

    index: int
    candidate: dict[str, Any]
    chosen: list[tuple[int, list[str]]]
    skipped: list[int]


def choose_ring(
    session: Session, *, req: HelpRequest, resident: Resident, start: int,
    routing: dict[str, Any] | None = None,
) -> RingChoice | None:
    """The first ring from `start` of the routing (default: the request's) with someone free;
    reads only, so it can run before a transaction's first write."""
    routing = routing if routing is not None else (req.routing or {})
    candidates: list[dict[str, Any]] = list(routing.get("candidates", []))
    area_path = routing.get("area_path")
    lang = req.lang or resident.lang or "zh"
    # A request never offered before has nobody to leave out (saves a query on the hot path).
    exclude = asked_volunteers(session, req.id or 0) if req.first_offer_at else set()
    skipped: list[int] = []
    for index in range(start, len(candidates)):
        candidate = candidates[index]
        chosen = choose_volunteers(
            session, candidate=candidate, req=req, area_path=area_path, lang=lang, exclude=exclude
        )
        if chosen:
            return RingChoice(index, candidate, chosen, skipped)
        skipped.append(index)
    return None


def offer_or_unassign(
    session: Session, *, settings: Settings, req: HelpRequest, resident: Resident,
    choice: RingChoice | None, actor: str, now: datetime, kind: str = "offered",
    values: dict[str, Any] | None = None, before: tuple[dict[str, Any], ...] = (),
) -> bool:
    """Offer to the ring chosen (`before`: steps logged by its status UPDATE), or, with no ring
    that has someone free, leave the request unassigned. True when offers were made."""
    if choice is not None:
        make_offers(
            session, settings=settings, req=req, resident=resident, ring=choice.index,
            candidate=choice.candidate, volunteer_ids=[vid for vid, _ in choice.chosen],
            actor=actor, now=now, kind=kind, skipped=choice.skipped,
            languages=dict(choice.chosen), values=values, before=before,
        )
        return True
    candidates = (req.routing or {}).get("candidates")
    go_unassigned(session, req=req, resident=resident, actor=actor, now=now,
                  reason="no_candidates" if not candidates else "rings_exhausted", values=values)
    return False


def offer_from(
    session: Session,
    *,
    settings: Settings,
    req: HelpRequest,
    resident: Resident,
    start: int,
    actor: str,
    now: datetime,
    kind: str = "offered",
    values: dict[str, Any] | None = None,
) -> bool:
    """Offer the request to the first ring from `start` that has someone free; else unassigned.

    Returns True when offers were made. Runs inside the caller's transaction. `values`: more
    request columns stored with the status change (one UPDATE instead of two).
    """
    return offer_or_unassign(
        session, settings=settings, req=req, resident=resident,
        choice=choose_ring(session, req=req, resident=resident, start=start), actor=actor,
        now=now, kind=kind, values=values,
    )


def make_offers(
    session: Session,
    *,
    settings: Settings,
    req: HelpRequest,
    resident: Resident,
    ring: int,
    candidate: dict[str, Any],
    volunteer_ids: list[int],
    actor: str,
    now: datetime,
    kind: str = "offered",
    skipped: list[int] | None = None,
    languages: dict[int, list[str]] | None = None,
    values: dict[str, Any] | None = None,
    before: tuple[dict[str, Any], ...] = (),
) -> list[Offer]:
    """Status offered at this ring with a deadline by urgency; one offer row and message each.

    `languages`: the volunteers' languages when the caller already read them (saves a query);
    `values`: more request columns stored with the status change; `before`: steps logged on
    the way by the same UPDATE (see lifecycle.transition).
    """
    seconds = settings.offer_deadline_s(req.urgency or "normal")
    deadline = now + timedelta(seconds=seconds)
    event = transition(
        session, req, to="offered", actor=actor, now=now, kind=kind,
        values={
            "ring": ring,
            "deadline": deadline,
            "team_id": candidate.get("team_id"),
            "first_offer_at": req.first_offer_at or now,
            **(values or {}),
        },
        data={
            "ring": ring,
            "candidate": candidate,
            "volunteer_ids": volunteer_ids,
            "skipped_rings": skipped or [],
        },
        before=before,
    )
    rows = [
        {
            "request_id": req.id or 0,
            "volunteer_id": vid,
            "team_id": candidate.get("team_id"),
            "ring": ring,
            "state": "pending",
            "deadline": deadline,
            "created_at": now,
            "answered_at": None,
            "reason": None,
        }
        for vid in volunteer_ids
    ]
    # One multi-row INSERT ... RETURNING instead of the unit of work: offers are hot.
    if len(set(volunteer_ids)) == len(volunteer_ids):
        result = session.connection().execute(_INSERT_OFFERS, rows)
        by_volunteer = {vid: oid for oid, vid in result}
        ids = [by_volunteer[vid] for vid in volunteer_ids]
    else:
        ids = session.connection().execute(_INSERT_OFFERS_ORDERED, rows).scalars().all()
    offers = [detached(Offer, {"id": offer_id, **row})
              for offer_id, row in zip(ids, rows, strict=True)]
    emergency = req.urgency == "emergency"
    key = "dispatch.volunteer.offer_emergency" if emergency else "dispatch.volunteer.offer"
    langs = languages if languages is not None and set(volunteer_ids) <= set(languages) else dict(
        session.execute(
            select(Volunteer.id, Volunteer.languages).where(Volunteer.id.in_(volunteer_ids))
        ).all()
    )
    notes = []
    shared: dict[str, dict[str, Any]] = {}  # the same words for every reader of a language
    for offer in offers:
        vlangs = langs.get(offer.volunteer_id) or ["zh"]
        vlang = texts.normalise_lang(vlangs[0])
        if vlang not in shared:
            shared[vlang] = offer_values(session, req, resident, offer, vlang,
                                         max(1, seconds // 60))
        notes.append(notification_row(
            recipient_kind="volunteer",
            recipient_id=offer.volunteer_id,
            key=key,
            values={**shared[vlang], "offer_id": offer.id},
            buttons=offer_buttons(offer.id or 0),
            request_id=req.id,
            offer_id=offer.id,
            dedupe_key=f"offer{offer.id}:new",
            now=now,
        ))
    # The resident's message goes in the same INSERT as the volunteers' (one round trip).
    if kind == "offered" and not emergency:
        tell_resident(session, req=req, resident=resident, key="dispatch.resident.offered",
                      event=event, now=now, collect=notes)
    elif kind == "widened":
        tell_resident(session, req=req, resident=resident, key="dispatch.resident.widened",
                      event=event, now=now, collect=notes)
    notify_many(session, notes)
    return offers
