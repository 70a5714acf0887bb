"""Emergencies go out at once; offers never carry a resident's private details."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlmodel import Session

from core import dispatch, texts
from core.models import Notification, Offer
from core.settings import Settings
from tests.core.dispatch.factories import ADDRESS, PHONE, make_volunteer, small_world

NOW = datetime(2026, 5, 4, 2, 0, tzinfo=UTC)
SECRET_WORDS = "my door code is 4711"


def test_emergency_path(session: Session, settings: Settings) -> None:
    w = small_world(session)
    # On duty nearby but in no team serving the category: emergencies reach them too.
    lone = make_volunteer(session, "lone", home=w.areas["K2"])
    far = make_volunteer(session, "far", home=w.areas["K4"])
    session.commit()
    settings = settings.model_copy(update={"emergency_numbers": "120 ambulance, 110 police"})
    resident = w.residents["blind"]
    req = dispatch.create_request(session, settings=settings, resident_id=resident.id,
                                  text="I fell and cannot get up", category="emergency", now=NOW)
    assert (req.status, req.urgency) == ("offered", "emergency")
    advice = session.scalars(select(Notification).where(
        Notification.key == "dispatch.resident.emergency")).one()
    assert advice.recipient_id == resident.id
    assert advice.values["numbers"] == "120 ambulance、110 police"
    spoken = texts.get(advice.key, "zh", **advice.values)
    assert "120 ambulance" in spoken and "{" not in spoken
    coordinators = set(session.scalars(select(Notification.recipient_id).where(
        Notification.key == "dispatch.coordinator.emergency")))
    assert coordinators == {w.coordinators["C"].id, w.coordinators["D1"].id}
    offered = set(session.scalars(select(Offer.volunteer_id).where(Offer.request_id == req.id)))
    street = {w.volunteers[k].id for k in ("k1a", "k1b", "s1a", "s1b")} | {lone.id}
    assert offered == street  # everyone on duty in the street at once, not the far district
    assert far.id not in offered and w.volunteers["off"].id not in offered
    deadline = (req.deadline.replace(tzinfo=UTC) - NOW).total_seconds()
    assert deadline == settings.deadline_emergency_s
    keys = set(session.scalars(select(Notification.key).where(
        Notification.recipient_kind == "volunteer")))
    assert keys == {"dispatch.volunteer.offer_emergency"}


@pytest.mark.parametrize("category", ["escort", "emergency", "errands"])
def test_offers_carry_no_private_details(
    session: Session, settings: Settings, category: str
) -> None:
    w = small_world(session)
    resident = w.residents["deaf"]
    req = dispatch.create_request(session, settings=settings, resident_id=resident.id,
                                  text=f"{SECRET_WORDS}, {ADDRESS}", category=category, now=NOW)
    if req.status != "offered":
        req = dispatch.confirm_request(session, settings=settings, request_id=req.id,
                                       actor="system", now=NOW)
    offers = session.scalars(select(Notification).where(
        Notification.key.in_(["dispatch.volunteer.offer", "dispatch.volunteer.offer_emergency"])
    )).all()
    assert offers
    forbidden = [ADDRESS, PHONE, SECRET_WORDS, "hearing", resident.name]
    for lang in ("zh", "en"):
        forbidden.append(texts.get("dispatch.disability.hearing", lang))
    for note in offers:
        blob = json.dumps(note.values, ensure_ascii=False) + json.dumps(note.buttons)
        rendered = texts.get(note.key, "en", **note.values) + texts.get(note.key, "zh",
                                                                       **note.values)
        for secret in forbidden:
            assert secret not in blob and secret not in rendered, (secret, note.values)
    # After accepting, only the winner gets the details.
    first = session.scalars(select(Offer).where(Offer.request_id == req.id)).first()
    dispatch.accept_offer(session, settings=settings, offer_id=first.id,
                          volunteer_id=first.volunteer_id, now=NOW)
    details = session.scalars(select(Notification).where(
        Notification.key == "offer.accepted_details")).all()
    assert [n.recipient_id for n in details] == [first.volunteer_id]
    assert details[0].values["phone"] == PHONE
