"""A tiny world for dialog and bot tests: an area tree, one team, a few people."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel import Session

from core.models import AreaCreate, ResidentCreate, TeamCreate, VolunteerCreate
from core.services import areas, registration, teams

RESIDENT_TG = 7001
VOLUNTEER_TGS = (9001, 9002)
FAR_VOLUNTEER_TG = 9003
COORDINATOR_TG = 8001
CARER_TG = 6001
# A weekday morning in Shanghai (02:00 UTC = 10:00 local): inside the team's duty hours.
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


@dataclass
class World:
    """Ids of what build_world made."""

    city: int
    district: int
    street: int
    community: int
    other_street: int
    other_community: int
    team: int
    volunteers: list[int]
    far_volunteer: int
    resident: int
    coordinator: int
    carer: int
    cared_for: int


def _area(session: Session, code: str, level: str, zh: str, en: str, parent: int | None,
          aliases: list[str] | None = None) -> int:
    data = AreaCreate(code=code, level=level, name_zh=zh, name_en=en, parent_id=parent,
                      aliases=aliases or [])
    area = areas.create_area(session, data=data)
    session.commit()
    assert area.id is not None
    return area.id


def build_world(session: Session) -> World:
    """City → district → two streets → communities; a street team with two volunteers."""
    city = _area(session, "t-city", "city", "测试市", "Test City", None)
    district = _area(session, "t-dist", "district", "光明区", "Guangming District", city)
    street = _area(session, "t-st1", "street", "阳光街道", "Sunshine Street", district)
    community = _area(session, "t-c1", "community", "花园社区", "Garden Community", street,
                      ["花园"])
    _area(session, "t-c2", "community", "河畔社区", "Riverside Community", street)
    other_street = _area(session, "t-st2", "street", "东湖街道", "East Lake Street", district)
    other_community = _area(session, "t-c3", "community", "湖滨社区", "Lakeside Community",
                            other_street)
    team = teams.create_team(session, data=TeamCreate(
        code="t-team", name_zh="阳光志愿队", name_en="Sunshine Volunteers", area_id=street,
        level="street", categories=["escort", "reading", "errands", "daily_living", "digital",
                                    "companionship", "repair", "health"],
        skills=["escort", "guiding", "reading"], duty_start="00:00", duty_end="23:59",
    ))
    session.commit()
    vols = []
    for n, tg in enumerate(VOLUNTEER_TGS, start=1):
        v = registration.register_volunteer(session, data=VolunteerCreate(
            name=f"Volunteer {n}", languages=["zh", "en"], skills=["escort", "guiding", "reading"],
            home_area_id=street, service_area_ids=[street], on_duty=True, telegram_id=tg,
        ))
        teams.add_member(session, team_id=team.id or 0, volunteer_id=v.id or 0)
        session.commit()
        vols.append(v.id or 0)
    far = registration.register_volunteer(session, data=VolunteerCreate(
        name="Far Volunteer", languages=["zh"], skills=["escort"], home_area_id=other_street,
        service_area_ids=[other_street], on_duty=True, telegram_id=FAR_VOLUNTEER_TG,
    ))
    resident = registration.register_resident(session, data=ResidentCreate(
        name="Mr Wang", lang="en", area_id=community, address="3 Garden Road", phone="13800000000",
        disability_types=["visual"], telegram_id=RESIDENT_TG, consent=True,
    ))
    coordinator = registration.register_coordinator(
        session, name="Coordinator Li", area_id=district, lang="en", telegram_id=COORDINATOR_TG,
    )
    cared = registration.register_resident(session, data=ResidentCreate(
        name="Xiao Ming", lang="en", area_id=community, disability_types=["intellectual"],
        consent=True,
    ))
    carer = registration.register_carer(session, name="Mother Zhang", lang="en",
                                        telegram_id=CARER_TG)
    registration.link_carer(session, carer_id=carer.id or 0, resident_id=cared.id or 0,
                            relation="parent")
    session.commit()
    return World(
        city=city, district=district, street=street, community=community,
        other_street=other_street, other_community=other_community, team=team.id or 0,
        volunteers=vols, far_volunteer=far.id or 0, resident=resident.id or 0,
        coordinator=coordinator.id or 0, carer=carer.id or 0, cared_for=cared.id or 0,
    )
