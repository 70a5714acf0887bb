"""First accept wins: 100 concurrent accepts (own session each) → exactly one winner."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlmodel import Session

from core import dispatch
from core.exceptions import OfferClosed, RequestAlreadyTaken
from core.models import HelpRequest, Notification, Offer
from core.settings import Settings
from tests.core.dispatch.factories import make_area, make_resident, make_team, make_volunteer

NOW = datetime(2026, 5, 4, 2, 0, tzinfo=UTC)
RACERS = 100


def test_hundred_concurrent_accepts_one_winner(
    sessions: Callable[[], Session], settings: Settings
) -> None:
    with sessions() as s:
        city = make_area(s, "C", "city")
        team = make_team(s, "T", city, ["errands"])
        volunteers = [make_volunteer(s, f"v{i}", teams=[team]).id for i in range(RACERS)]
        resident = make_resident(s, "R", city)
        s.commit()
        req = dispatch.create_request(s, settings=settings, resident_id=resident.id, text="x",
                                      category="errands", now=NOW)
        req = dispatch.confirm_request(s, settings=settings, request_id=req.id,
                                       actor="system", now=NOW)
        # The first ring offers to a few; give every racer a pending offer of this ring.
        asked = set(s.scalars(select(Offer.volunteer_id).where(Offer.request_id == req.id)))
        for vid in volunteers:
            if vid not in asked:
                s.add(Offer(request_id=req.id, volunteer_id=vid, team_id=team.id,
                            ring=req.ring, deadline=req.deadline, created_at=NOW))
        s.commit()
        offers = list(s.scalars(select(Offer).where(Offer.request_id == req.id)))
    assert len(offers) == RACERS
    barrier = threading.Barrier(RACERS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def race(offer: Offer) -> None:
        with sessions() as s:
            barrier.wait()
            try:
                dispatch.accept_offer(s, settings=settings, offer_id=offer.id,
                                      volunteer_id=offer.volunteer_id, now=NOW)
                result = "won"
            except RequestAlreadyTaken:
                result = "taken"
            except OfferClosed:
                result = "closed"
            except Exception as exc:  # noqa: BLE001 - reported in the assertion below
                result = f"error:{type(exc).__name__}:{exc}"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=race, args=(o,)) for o in offers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    counts = Counter(outcomes)
    assert counts == {"won": 1, "taken": RACERS - 1}, counts
    with sessions() as s:
        final = s.get(HelpRequest, req.id)
        assert final.status == "accepted"
        states = Counter(s.scalars(select(Offer.state).where(Offer.request_id == req.id)))
        assert states == {"accepted": 1, "withdrawn": RACERS - 1}
        taken = s.scalar(select(func.count()).select_from(Notification).where(
            Notification.key == "offer.taken"))
        assert taken == RACERS - 1
        details = s.scalars(select(Notification.recipient_id).where(
            Notification.key == "offer.accepted_details")).all()
        assert details == [final.volunteer_id]
