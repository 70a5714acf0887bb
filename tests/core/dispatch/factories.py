"""A small fixture factory for dispatch tests: an area tree, teams, volunteers, residents."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlmodel import Session

from core.models import (
    Area,
    Coordinator,
    PairSchedule,
    Resident,
    Team,
    TeamMember,
    Volunteer,
)

ADDRESS = "Room 302, Building 7, 18 Lotus Lane"
PHONE = "13900001111"


def make_area(session: Session, code: str, level: str, parent: Area | None = None) -> Area:
    """An area with its materialised path."""
    area = Area(code=code, level=level, name_zh=f"{code}区", name_en=f"{code} area",
                parent_id=parent.id if parent else None,
                depth=(parent.depth + 1) if parent else 0)
    session.add(area)
    session.flush()
    area.path = (parent.path if parent else "/") + f"{area.id}/"
    session.flush()
    return area


def make_team(
    session: Session, code: str, area: Area, categories: Iterable[str], *,
    skills: Iterable[str] = (), capacity: int = 10, level: str | None = None,
    duty: tuple[str, str] = ("00:00", "23:59"), is_partner: bool = False,
) -> Team:
    """A team serving categories in an area, on duty all day unless told."""
    team = Team(code=code, name_zh=f"{code}队", name_en=f"{code} team", area_id=area.id or 0,
                level=level or area.level, categories=list(categories), skills=list(skills),
                capacity=capacity, duty_start=duty[0], duty_end=duty[1], is_partner=is_partner)
    session.add(team)
    session.flush()
    return team


def make_volunteer(
    session: Session, name: str, *, teams: Iterable[Team] = (), on_duty: bool = True,
    languages: Iterable[str] = ("zh",), skills: Iterable[str] = (), home: Area | None = None,
    max_tasks: int = 2,
) -> Volunteer:
    """A volunteer, member of the given teams."""
    volunteer = Volunteer(name=name, name_en=name, phone="13800000000",
                          languages=list(languages), skills=list(skills),
                          home_area_id=home.id if home else None, on_duty=on_duty,
                          max_tasks=max_tasks)
    session.add(volunteer)
    session.flush()
    for team in teams:
        session.add(TeamMember(team_id=team.id or 0, volunteer_id=volunteer.id or 0))
    session.flush()
    return volunteer


def make_resident(
    session: Session, name: str, area: Area, *, lang: str = "zh",
    disability_types: Iterable[str] = ("visual",), paired: Volunteer | None = None,
) -> Resident:
    """A resident with private details that must never reach an offer."""
    resident = Resident(name=name, lang=lang, area_id=area.id, address=ADDRESS, phone=PHONE,
                        disability_types=list(disability_types),
                        paired_volunteer_id=paired.id if paired else None)
    session.add(resident)
    session.flush()
    return resident


def make_coordinator(session: Session, name: str, area: Area, lang: str = "zh") -> Coordinator:
    """A coordinator of an area."""
    coordinator = Coordinator(name=name, area_id=area.id or 0, lang=lang)
    session.add(coordinator)
    session.flush()
    return coordinator


def make_pair(session: Session, resident: Resident, volunteer: Volunteer, **kw: object
              ) -> PairSchedule:
    """A 一助一 pair with a recurring visit."""
    pair = PairSchedule(resident_id=resident.id or 0, volunteer_id=volunteer.id or 0, **kw)
    session.add(pair)
    session.flush()
    return pair


@dataclass
class World:
    """City C → districts D1, D2 → streets S1 (in D1), S2 (in D1), S3 (in D2) → communities."""

    areas: dict[str, Area] = field(default_factory=dict)
    teams: dict[str, Team] = field(default_factory=dict)
    volunteers: dict[str, Volunteer] = field(default_factory=dict)
    residents: dict[str, Resident] = field(default_factory=dict)
    coordinators: dict[str, Coordinator] = field(default_factory=dict)


def small_world(session: Session) -> World:
    """Teams at every level; escort/errands served by a community, a street and a district team."""
    w = World()
    a = w.areas
    a["C"] = make_area(session, "C", "city")
    a["D1"] = make_area(session, "D1", "district", a["C"])
    a["D2"] = make_area(session, "D2", "district", a["C"])
    a["S1"] = make_area(session, "S1", "street", a["D1"])
    a["S2"] = make_area(session, "S2", "street", a["D1"])
    a["S3"] = make_area(session, "S3", "street", a["D2"])
    a["K1"] = make_area(session, "K1", "community", a["S1"])
    a["K2"] = make_area(session, "K2", "community", a["S1"])
    a["K3"] = make_area(session, "K3", "community", a["S2"])
    a["K4"] = make_area(session, "K4", "community", a["S3"])
    t = w.teams
    t["K1"] = make_team(session, "T-K1", a["K1"], ["escort", "errands", "companionship"])
    t["S1"] = make_team(session, "T-S1", a["S1"], ["escort", "errands", "reading"])
    t["D1"] = make_team(session, "T-D1", a["D1"], ["escort", "errands", "reading", "repair"],
                        skills=["repair"])
    t["K4"] = make_team(session, "T-K4", a["K4"], ["escort", "errands"])
    t["SIGN"] = make_team(session, "T-SIGN", a["D1"], ["sign_language", "escort"],
                          skills=["sign_language"])
    v = w.volunteers
    v["k1a"] = make_volunteer(session, "k1a", teams=[t["K1"]], home=a["K1"])
    v["k1b"] = make_volunteer(session, "k1b", teams=[t["K1"]], home=a["K1"], languages=["en"])
    v["s1a"] = make_volunteer(session, "s1a", teams=[t["S1"]], home=a["K2"])
    v["s1b"] = make_volunteer(session, "s1b", teams=[t["S1"]], home=a["K2"])
    v["d1a"] = make_volunteer(session, "d1a", teams=[t["D1"]], home=a["K3"], skills=["repair"])
    v["k4a"] = make_volunteer(session, "k4a", teams=[t["K4"]], home=a["K4"])
    v["sign"] = make_volunteer(session, "sign", teams=[t["SIGN"]], home=a["K3"],
                               skills=["sign_language"])
    v["off"] = make_volunteer(session, "off", teams=[t["K1"]], home=a["K1"], on_duty=False)
    r = w.residents
    r["blind"] = make_resident(session, "Wang", a["K1"])
    r["deaf"] = make_resident(session, "Li", a["K1"], disability_types=["hearing"], lang="en")
    w.coordinators["C"] = make_coordinator(session, "coord-city", a["C"])
    w.coordinators["D1"] = make_coordinator(session, "coord-d1", a["D1"])
    w.coordinators["D2"] = make_coordinator(session, "coord-d2", a["D2"])
    session.commit()
    return w
