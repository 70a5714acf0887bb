"""Routing: nearness, skills, the paired volunteer, language, duty, load and fairness."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlmodel import Session

from core import dispatch
from core.dispatch.matching import in_duty_hours
from core.models import Offer
from core.settings import Settings
from tests.core.dispatch.factories import (
    make_area,
    make_resident,
    make_team,
    make_volunteer,
    small_world,
)

NOW = datetime(2026, 5, 4, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


def _route(session: Session, settings: Settings, resident_id: int, category: str):
    req = dispatch.create_request(session, settings=settings, resident_id=resident_id,
                                  text="help", category=category, now=NOW)
    return dispatch.confirm_request(session, settings=settings, request_id=req.id,
                                    actor="system", now=NOW)


def _offered_to(session: Session, request_id: int) -> set[int]:
    return set(session.scalars(select(Offer.volunteer_id).where(Offer.request_id == request_id)))


def test_skills_needed_pick_the_sign_team(session: Session, settings: Settings) -> None:
    w = small_world(session)
    req = _route(session, settings, w.residents["deaf"].id, "escort")
    # A deaf resident going out needs a signer: the sign team beats the nearer community team.
    assert req.skills == ["sign_language"]
    assert req.team_id == w.teams["SIGN"].id
    assert _offered_to(session, req.id) == {w.volunteers["sign"].id}


def test_paired_volunteer_first(session: Session, settings: Settings) -> None:
    w = small_world(session)
    resident = make_resident(session, "Zhao", w.areas["K1"], paired=w.volunteers["k4a"])
    session.commit()
    req = _route(session, settings, resident.id, "errands")
    assert req.routing["candidates"][0]["kind"] == "paired"
    assert _offered_to(session, req.id) == {w.volunteers["k4a"].id}


def test_language_and_fairness_order_volunteers(session: Session, settings: Settings) -> None:
    city = make_area(session, "C", "city")
    team = make_team(session, "T", city, ["reading"])
    zh_recent = make_volunteer(session, "zh-recent", teams=[team])
    zh_recent.last_assigned_at = NOW
    zh_fresh = make_volunteer(session, "zh-fresh", teams=[team])
    en = make_volunteer(session, "en", teams=[team], languages=["en"])
    resident = make_resident(session, "R", city, lang="en")
    session.commit()
    from core.dispatch.matching import MAX_OFFERS_PER_RING, eligible_volunteers

    assert MAX_OFFERS_PER_RING >= 3
    req = _route(session, settings, resident.id, "reading")
    order = eligible_volunteers(session, candidate={"kind": "team", "team_id": team.id},
                                req=req, area_path=city.path, lang="en", exclude=set())
    assert order == [en.id, zh_fresh.id, zh_recent.id]


def test_busy_volunteer_not_flooded(session: Session, settings: Settings) -> None:
    city = make_area(session, "C", "city")
    team = make_team(session, "T", city, ["errands"])
    busy = make_volunteer(session, "busy", teams=[team], max_tasks=1)
    free = make_volunteer(session, "free", teams=[team])
    resident = make_resident(session, "R", city)
    session.commit()
    first = _route(session, settings, resident.id, "errands")
    offer = session.scalars(select(Offer).where(Offer.request_id == first.id,
                                                Offer.volunteer_id == busy.id)).one()
    dispatch.accept_offer(session, settings=settings, offer_id=offer.id, volunteer_id=busy.id,
                          now=NOW)
    second = _route(session, settings, resident.id, "errands")
    assert _offered_to(session, second.id) == {free.id}


def test_off_hours_team_ranks_lower(session: Session, settings: Settings) -> None:
    city = make_area(session, "C", "city")
    night = make_team(session, "NIGHT", city, ["repair"], duty=("20:00", "06:00"))
    day = make_team(session, "DAY", city, ["repair"], duty=("08:00", "18:00"))
    make_volunteer(session, "n", teams=[night])
    make_volunteer(session, "d", teams=[day])
    resident = make_resident(session, "R", city)
    session.commit()
    req = _route(session, settings, resident.id, "repair")
    assert req.team_id == day.id
    reasons = req.routing["candidates"][1]["reasons"]
    assert "outside_duty_hours" in reasons


@pytest.mark.parametrize(
    ("start", "end", "hour", "inside"),
    [("08:00", "20:00", 10, True), ("08:00", "20:00", 21, False), ("20:00", "06:00", 23, True),
     ("20:00", "06:00", 5, True), ("20:00", "06:00", 12, False)],
)
def test_duty_window(start: str, end: str, hour: int, inside: bool) -> None:
    local_hour_utc = (hour - 8) % 24
    now = datetime(2026, 5, 4, local_hour_utc, 0, tzinfo=UTC)
    assert in_duty_hours(start, end, now, "Asia/Shanghai") is inside


def test_no_team_means_unassigned_and_coordinator(session: Session, settings: Settings) -> None:
    w = small_world(session)
    req = _route(session, settings, w.residents["blind"].id, "legal")
    assert req.status == "unassigned"


@pytest.mark.parametrize("seed", range(6))
def test_top_teams_same_as_full_ranking(session: Session, seed: int) -> None:
    """Loads are read only for the fewest-missing-skills teams that fill the rings: the teams
    chosen must be exactly the top of the ranking over every team."""
    import random

    from core.dispatch.matching import MAX_RINGS, rank_teams

    rng = random.Random(seed)
    skills = ["sign_language", "braille", "guiding", "wheelchair"]
    city = make_area(session, "C", "city")
    district = make_area(session, "D", "district", city)
    streets = [make_area(session, f"S{i}", "street", district) for i in range(3)]
    communities = [make_area(session, f"K{i}", "community", rng.choice(streets))
                   for i in range(6)]
    places = [city, district, *streets, *communities]
    for index in range(25):
        team = make_team(session, f"T{index}", rng.choice(places), ["escort"],
                         skills=rng.sample(skills, rng.randint(0, 3)),
                         capacity=rng.randint(1, 3),
                         duty=rng.choice([("00:00", "23:59"), ("20:00", "06:00")]))
        for member in range(rng.randint(0, 3)):
            make_volunteer(session, f"v{index}-{member}", teams=[team],
                           on_duty=rng.random() < 0.6,
                           languages=rng.choice([("zh",), ("en",), ("en", "zh")]))
    session.commit()
    for community in communities:
        needed = rng.sample(skills, rng.randint(0, 2))
        ask = {"category": "escort", "skills": needed, "area_path": community.path,
               "lang": rng.choice(["zh", "en"]), "tz": "Asia/Shanghai", "now": NOW}
        everyone = rank_teams(session, **ask, limit=1000)
        for limit in (1, MAX_RINGS - 1, MAX_RINGS):
            assert rank_teams(session, **ask, limit=limit) == everyone[:limit]
