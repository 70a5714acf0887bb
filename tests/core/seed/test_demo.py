"""The demo district: the numbers of a real "1+11+N" programme, and idempotent."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import Session, SQLModel, select

from core.models import (
    Area,
    Carer,
    CarerLink,
    Category,
    Coordinator,
    Disability,
    Mode,
    Resident,
    Team,
    TeamMember,
    Volunteer,
)
from core.seed.demo import SeedReport, seed_demo
from core.services.areas import area_descendant_ids, search_areas
from core.skills import known_skill

NOW = datetime(2026, 4, 1, 8, 0, tzinfo=UTC)
TABLES: list[type[SQLModel]] = [
    Area, Team, Volunteer, TeamMember, Resident, Carer, CarerLink, Coordinator]


@pytest.fixture
def seeded(session: Session) -> SeedReport:
    return seed_demo(session, now=NOW)


def _all(session: Session, model: type[SQLModel]) -> list[Any]:
    return list(session.exec(select(model)).all())


def test_area_tree(session: Session, seeded: SeedReport) -> None:
    by_level = Counter(a.level for a in _all(session, Area))
    assert by_level["city"] == 1 and by_level["district"] == 1 and by_level["street"] == 11
    assert by_level["community"] >= 33
    district = session.exec(select(Area).where(Area.level == "district")).one()
    assert len(area_descendant_ids(session, area_id=district.id)) == 1 + 11 + by_level["community"]
    for area in _all(session, Area):
        assert area.name_zh and area.name_en and area.aliases
        assert area.path.endswith(f"/{area.id}/")
    for street in session.exec(select(Area).where(Area.level == "street")):
        kids = session.exec(select(Area).where(Area.parent_id == street.id)).all()
        assert len(kids) >= 3


@pytest.mark.parametrize(
    ("name", "community"),
    [("阳光小区", "阳光社区"), ("Sunshine Community", "阳光社区"), ("第一人民医院", "康乐社区"),
     ("星河火车站", "向阳社区"), ("星河公园", "星光社区"), ("Xinghe Library", "文华社区")],
)
def test_aliases_and_landmarks(
    session: Session, seeded: SeedReport, name: str, community: str
) -> None:
    assert search_areas(session, name=name)[0].name_zh == community


def test_teams_at_every_level(session: Session, seeded: SeedReport) -> None:
    teams = _all(session, Team)
    levels = Counter(t.level for t in teams)
    assert levels["district"] >= 1 and levels["street"] == 11 and levels["community"] >= 33
    core = [t for t in teams if t.level == "district" and t.parent_id is None]
    assert len(core) == 1
    assert {t.association for t in teams} >= {"blind", "deaf", "physical",
                                              "intellectual_psychosocial"}
    skills_of = {t.association: set(t.skills) for t in teams if t.association}
    assert {"guiding", "braille", "reading"} <= skills_of["blind"]
    assert "sign_language" in skills_of["deaf"]
    assert {"wheelchair", "repair"} <= skills_of["physical"]
    partners = [t for t in teams if t.is_partner]
    assert len(partners) >= 3
    partner_cats = [set(t.categories) for t in partners]
    assert any({"escort", "health"} <= c for c in partner_cats)
    assert any("education" in c for c in partner_cats)
    assert any({"digital", "employment"} <= c for c in partner_cats)
    covered = {c for t in teams for c in t.categories}
    assert covered == {c.value for c in Category}
    assert any("emergency" in t.categories and "first_aid" in t.skills for t in teams)
    for team in teams:
        assert all(known_skill(s) for s in team.skills)


def test_one_leader_per_team(session: Session, seeded: SeedReport) -> None:
    members = _all(session, TeamMember)
    leaders = Counter(m.team_id for m in members if m.role == "leader")
    sizes = Counter(m.team_id for m in members)
    for team in _all(session, Team):
        assert leaders[team.id] == 1, team.code
        assert sizes[team.id] >= 3, team.code


def test_volunteers(session: Session, seeded: SeedReport) -> None:
    vols = _all(session, Volunteer)
    assert len(vols) >= 300
    skills = Counter(s for v in vols for s in v.skills)
    for skill in ("sign_language", "braille", "wheelchair", "first_aid", "driving", "nursing",
                  "legal", "it", "repair", "tutoring", "counselling"):
        assert skills[skill] >= 8, skill
    assert all(known_skill(s) for s in skills)
    english = sum("en" in v.languages for v in vols) / len(vols)
    assert 0.10 <= english <= 0.22
    assert any(v.languages[0] == "en" for v in vols)
    on_duty = sum(v.on_duty for v in vols) / len(vols)
    assert 0.5 <= on_duty <= 0.7
    assert all(v.home_area_id in v.service_area_ids and v.code and v.phone for v in vols)
    assert len({v.code for v in vols}) == len(vols)


def test_residents(session: Session, seeded: SeedReport) -> None:
    residents = _all(session, Resident)
    assert len(residents) >= 50
    assert {d for r in residents for d in r.disability_types} == {d.value for d in Disability}
    assert {r.mode for r in residents} == {m.value for m in Mode}
    assert {r.lang for r in residents} == {"zh", "en"}
    for r in residents:
        assert r.address and r.phone and r.emergency_contact and r.consent_at
        assert r.phone.startswith("138-0000-")
        if r.disability_types == ["visual"]:
            assert r.mode == "voice"
        if r.disability_types == ["low_vision"]:
            assert r.mode == "large_text"
        if r.disability_types == ["intellectual"]:
            assert r.mode == "easy_read"
        if "hearing" in r.disability_types:
            assert r.mode != "voice"  # never a voice-only channel for a deaf resident
    paired = [r for r in residents if r.paired_volunteer_id]
    assert len(paired) >= 10
    vols = {v.id: v for v in _all(session, Volunteer)}
    assert all(vols[r.paired_volunteer_id].home_area_id == r.area_id for r in paired)


def test_carers_and_coordinators(session: Session, seeded: SeedReport) -> None:
    assert len(_all(session, Carer)) >= 3 and len(_all(session, CarerLink)) >= 3
    areas = {a.id: a for a in _all(session, Area)}
    levels = Counter(areas[c.area_id].level for c in _all(session, Coordinator))
    assert levels == {"district": 1, "street": 11}
    assert seeded.coordinators == 12 and seeded.volunteers >= 300


def _snapshot(session: Session) -> dict[str, list[dict[str, Any]]]:
    session.expire_all()
    return {
        model.__name__: sorted(
            (row.model_dump() for row in session.exec(select(model)).all()), key=repr)
        for model in TABLES
    }


def test_idempotent(sessions: Callable[[], Session]) -> None:
    with sessions() as first:
        report = seed_demo(first, now=NOW)
        before = _snapshot(first)
    assert report.created > 1000 and report.updated == 0
    with sessions() as second:
        again = seed_demo(second, now=NOW + timedelta(days=3))
        after = _snapshot(second)
    assert (again.created, again.updated) == (0, 0)
    assert after == before
    assert again.model_dump(exclude={"created", "updated", "seconds"}) == report.model_dump(
        exclude={"created", "updated", "seconds"})


def test_repairs_edited_demo_rows(session: Session, seeded: SeedReport) -> None:
    vol = session.exec(select(Volunteer).where(Volunteer.code == "vol-0001")).one()
    original = list(vol.skills)
    vol.skills = ["cooking"]
    session.commit()
    report = seed_demo(session, now=NOW)
    assert (report.created, report.updated) == (0, 1)
    session.refresh(vol)
    assert vol.skills == original

