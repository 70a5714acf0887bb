"""The whole happy path: request → classified → offered → accepted → done → confirmed → ledger."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlmodel import Session

from core import dispatch
from core.exceptions import IllegalTransition, InvalidInput, NotAllowed
from core.models import Event, Notification, Offer, ServiceRecord
from core.settings import Settings
from tests.core.dispatch.factories import ADDRESS, small_world

NOW = datetime(2026, 5, 4, 2, 0, tzinfo=UTC)


def notes(session: Session, **where: object) -> list[Notification]:
    query = select(Notification).order_by(Notification.id)
    for name, value in where.items():
        query = query.where(getattr(Notification, name) == value)
    return list(session.scalars(query))


def test_full_lifecycle(session: Session, settings: Settings) -> None:
    w = small_world(session)
    resident = w.residents["blind"]
    req = dispatch.create_request(session, settings=settings, resident_id=resident.id,
                                  text="please go with me to the hospital", category="escort",
                                  now=NOW)
    assert req.status == "classified"
    assert req.urgency == "normal"
    req = dispatch.confirm_request(session, settings=settings, request_id=req.id,
                                   actor=f"resident:{resident.id}", now=NOW)
    assert req.status == "offered"
    assert req.team_id == w.teams["K1"].id
    first = req.routing["candidates"][0]
    assert first["team_id"] == w.teams["K1"].id
    assert "same_community" in first["reasons"]
    offers = list(session.scalars(select(Offer).where(Offer.request_id == req.id)))
    offered_to = {o.volunteer_id for o in offers}
    # On-duty members of the nearest team only; the off-duty member is not asked.
    assert offered_to == {w.volunteers["k1a"].id, w.volunteers["k1b"].id}
    winner = next(o for o in offers if o.volunteer_id == w.volunteers["k1a"].id)
    req = dispatch.accept_offer(session, settings=settings, offer_id=winner.id,
                                volunteer_id=winner.volunteer_id, now=NOW)
    assert req.status == "accepted" and req.volunteer_id == w.volunteers["k1a"].id
    details = notes(session, key="offer.accepted_details")
    assert len(details) == 1 and details[0].recipient_id == w.volunteers["k1a"].id
    assert details[0].values["address"] == ADDRESS
    taken = notes(session, key="offer.taken")
    assert [n.recipient_id for n in taken] == [w.volunteers["k1b"].id]
    assert taken[0].values["offer_id"] == taken[0].offer_id
    vid = w.volunteers["k1a"].id
    with pytest.raises(NotAllowed):
        dispatch.start_request(session, settings=settings, request_id=req.id,
                               volunteer_id=w.volunteers["k1b"].id, now=NOW)
    dispatch.start_request(session, settings=settings, request_id=req.id, volunteer_id=vid,
                           now=NOW)
    dispatch.mark_arrived(session, settings=settings, request_id=req.id, volunteer_id=vid,
                          now=NOW)
    with pytest.raises(InvalidInput):
        dispatch.complete_request(session, settings=settings, request_id=req.id,
                                  volunteer_id=vid, hours=-1, now=NOW)
    req = dispatch.complete_request(session, settings=settings, request_id=req.id,
                                    volunteer_id=vid, hours=2.5, now=NOW)
    assert req.status == "done"
    with pytest.raises(InvalidInput):
        dispatch.give_feedback(session, settings=settings, request_id=req.id,
                               resident_id=resident.id, rating=6, now=NOW)
    feedback = dispatch.give_feedback(session, settings=settings, request_id=req.id,
                                      resident_id=resident.id, rating=5, comment="kind",
                                      now=NOW)
    assert feedback.rating == 5
    with pytest.raises(IllegalTransition):
        dispatch.give_feedback(session, settings=settings, request_id=req.id,
                               resident_id=resident.id, rating=4, now=NOW)
    detail = dispatch.get_request_detail(session, request_id=req.id)
    assert detail.request.status == "confirmed"
    assert [e.to_status for e in detail.events if e.from_status != e.to_status] == [
        "new", "classified", "offered", "accepted", "in_progress", "done", "confirmed",
    ]
    record = session.scalars(select(ServiceRecord)).one()
    assert (record.hours, record.rating, record.team_id) == (2.5, 5, w.teams["K1"].id)
    assert dispatch.verify_ledger(session).ok
    ledger = dispatch.volunteer_ledger(session, volunteer_id=vid)
    assert ledger.total_hours == 2.5 and ledger.stars == 0
    keys = [n.key for n in notes(session, recipient_kind="resident")]
    assert keys == [
        "dispatch.resident.offered", "dispatch.resident.accepted",
        "dispatch.resident.on_the_way", "dispatch.resident.arrived", "dispatch.resident.done",
        "dispatch.resident.thanks",
    ]


def test_dispute_alerts_coordinators(session: Session, settings: Settings) -> None:
    w = small_world(session)
    req = _accepted(session, settings, w)
    vid = req.volunteer_id
    dispatch.complete_request(session, settings=settings, request_id=req.id, volunteer_id=vid,
                              hours=8, now=NOW)
    dispatch.give_feedback(session, settings=settings, request_id=req.id,
                           resident_id=req.resident_id, rating=2, hours_confirmed=False, now=NOW)
    session.expire_all()
    assert dispatch.get_request_detail(session, request_id=req.id).request.status == "disputed"
    alerted = {n.recipient_id for n in notes(session, key="dispatch.coordinator.disputed")}
    # Coordinators of the city and of D1 (the request's ancestors), not of D2.
    assert alerted == {w.coordinators["C"].id, w.coordinators["D1"].id}
    assert session.scalars(select(ServiceRecord)).first() is None
    dispatch.resolve_dispute(session, settings=settings, request_id=req.id,
                             actor=f"coordinator:{w.coordinators['D1'].id}", hours=3, now=NOW)
    assert session.scalars(select(ServiceRecord)).one().hours == 3


def test_cancel_withdraws_offers(session: Session, settings: Settings) -> None:
    w = small_world(session)
    req = _offered(session, settings, w)
    with pytest.raises(NotAllowed):
        dispatch.cancel_request(session, settings=settings, request_id=req.id,
                                actor=f"resident:{w.residents['deaf'].id}", now=NOW)
    req = dispatch.cancel_request(session, settings=settings, request_id=req.id,
                                  actor=f"resident:{req.resident_id}", reason="no longer", now=NOW)
    assert req.status == "cancelled"
    states = set(session.scalars(select(Offer.state).where(Offer.request_id == req.id)))
    assert states == {"withdrawn"}
    assert len(notes(session, key="dispatch.volunteer.cancelled")) == 2
    with pytest.raises(IllegalTransition):
        dispatch.cancel_request(session, settings=settings, request_id=req.id, actor="admin",
                                now=NOW)


def test_reassign_direct_and_to_team(session: Session, settings: Settings) -> None:
    w = small_world(session)
    req = _offered(session, settings, w)
    coordinator = f"coordinator:{w.coordinators['D1'].id}"
    with pytest.raises(NotAllowed):
        dispatch.reassign_request(session, settings=settings, request_id=req.id,
                                  actor=f"coordinator:{w.coordinators['D2'].id}", now=NOW)
    req = dispatch.reassign_request(session, settings=settings, request_id=req.id,
                                    actor=coordinator, team_id=w.teams["S1"].id, now=NOW)
    assert req.status == "offered" and req.team_id == w.teams["S1"].id
    pending = set(session.scalars(
        select(Offer.volunteer_id).where(Offer.request_id == req.id, Offer.state == "pending")))
    assert pending == {w.volunteers["s1a"].id, w.volunteers["s1b"].id}
    req = dispatch.reassign_request(session, settings=settings, request_id=req.id,
                                    actor=coordinator, volunteer_id=w.volunteers["d1a"].id,
                                    now=NOW)
    assert req.status == "accepted" and req.volunteer_id == w.volunteers["d1a"].id
    assert notes(session, key="offer.accepted_details")[0].recipient_id == \
        w.volunteers["d1a"].id
    events = session.scalars(select(Event.kind).where(Event.request_id == req.id)).all()
    assert "assigned" in events and "reassigned" in events


def test_needs_category_to_confirm(session: Session, settings: Settings) -> None:
    w = small_world(session)
    resident = w.residents["blind"]
    req = dispatch.create_request(session, settings=settings, resident_id=resident.id,
                                  text="", category="reading", now=NOW)
    req = dispatch.confirm_request(session, settings=settings, request_id=req.id,
                                   actor=f"resident:{resident.id}", category="errands", now=NOW)
    assert req.category == "errands" and req.status == "offered"
    with pytest.raises(InvalidInput):
        dispatch.create_request(session, settings=settings, resident_id=resident.id, text="  ")
    with pytest.raises(InvalidInput):
        dispatch.create_request(session, settings=settings, resident_id=resident.id,
                                text="x", category="nonsense")


def test_filer_without_read_back_is_offered_at_once(session: Session, settings: Settings) -> None:
    w = small_world(session)
    resident = w.residents["blind"]
    req = dispatch.create_request(session, settings=settings, resident_id=resident.id,
                                  text="please go with me to the hospital tomorrow morning",
                                  confirmed_by="coordinator:1", now=NOW)
    assert req.status == "offered" and req.category == "escort"
    assert req.team_id == w.teams["K1"].id
    events = session.scalars(
        select(Event).where(Event.request_id == req.id).order_by(Event.id)
    ).all()
    assert [(e.kind, e.actor) for e in events] == [
        ("created", f"resident:{resident.id}"), ("classified", "system"),
        ("offered", "coordinator:1"),
    ]
    assert {o.volunteer_id for o in session.scalars(
        select(Offer).where(Offer.request_id == req.id))} == {
        w.volunteers["k1a"].id, w.volunteers["k1b"].id}
    # Not understood: nobody guessed at; it waits for a person to say what it is.
    unclear = dispatch.create_request(session, settings=settings, resident_id=resident.id,
                                      text="hmm", confirmed_by="coordinator:1", now=NOW)
    assert unclear.status == "needs_clarification"
    assert session.scalars(select(Offer).where(Offer.request_id == unclear.id)).first() is None


def _offered(session: Session, settings: Settings, w, category: str = "escort"):
    resident = w.residents["blind"]
    req = dispatch.create_request(session, settings=settings, resident_id=resident.id,
                                  text="help", category=category, now=NOW)
    return dispatch.confirm_request(session, settings=settings, request_id=req.id,
                                    actor=f"resident:{resident.id}", now=NOW)


def _accepted(session: Session, settings: Settings, w):
    req = _offered(session, settings, w)
    offer = session.scalars(select(Offer).where(Offer.request_id == req.id)).first()
    return dispatch.accept_offer(session, settings=settings, offer_id=offer.id,
                                 volunteer_id=offer.volunteer_id, now=NOW)
