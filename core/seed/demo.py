"""`seed_demo`: a deterministic, idempotent demo district shaped like a real "1+11+N" programme."""

from __future__ import annotations

import random
import time
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlmodel import Session, SQLModel, col, select

from core.models import (
    Area,
    AreaLevel,
    Carer,
    CarerLink,
    Category,
    Coordinator,
    Resident,
    Team,
    TeamMember,
    TeamRole,
    Volunteer,
)
from core.services.areas import set_path

DATA_FILE = Path(__file__).resolve().parent / "demo_district.toml"
SEED = 20_240_501  # fixed: the same demo district on every machine
VOLUNTEERS_PER_COMMUNITY = 10
RESIDENTS_PER_COMMUNITY = 2

T = TypeVar("T", bound=SQLModel)

ALL_CATEGORIES: list[str] = [c.value for c in Category]
STREET_CATEGORIES = [
    "escort", "daily_living", "errands", "companionship", "health", "repair",
    "accessibility", "culture_sports", "digital", "emergency", "other",
]
COMMUNITY_CATEGORIES = ["daily_living", "errands", "companionship", "escort", "accessibility"]

# (name, weight, skills always held, skills sometimes added)
ARCHETYPES: list[tuple[str, int, list[str], list[str]]] = [
    ("neighbour", 28, ["shopping", "escort"], ["cooking", "cleaning", "reading", "driving"]),
    ("signer", 9, ["sign_language"], ["tutoring", "escort", "counselling"]),
    ("blind_support", 9, ["guiding", "reading"], ["braille", "escort", "it"]),
    ("wheelchair", 8, ["wheelchair", "escort"], ["repair", "driving", "rehab"]),
    ("first_aider", 8, ["first_aid"], ["driving", "escort", "nursing"]),
    ("driver", 6, ["driving", "escort"], ["first_aid", "shopping", "wheelchair"]),
    ("nurse", 6, ["nursing", "first_aid"], ["rehab", "escort"]),
    ("lawyer", 4, ["legal"], ["counselling", "it"]),
    ("it", 6, ["it"], ["tutoring", "repair", "reading"]),
    ("repairer", 5, ["repair"], ["wheelchair", "it", "cleaning"]),
    ("tutor", 6, ["tutoring"], ["reading", "braille", "sign_language"]),
    ("counsellor", 5, ["counselling", "psychology"], ["rehab", "escort"]),
]

# Disability types and the mode that fits them; cycled so every type and mode appears.
RESIDENT_PROFILES: list[tuple[list[str], str]] = [
    (["visual"], "voice"),
    (["low_vision"], "large_text"),
    (["hearing"], "text"),
    (["speech"], "text"),
    (["physical"], "text"),
    (["intellectual"], "easy_read"),
    (["psychosocial"], "text"),
    (["multiple", "visual", "physical"], "voice"),
    (["hearing", "speech"], "text"),
    (["physical"], "voice"),
    (["psychosocial"], "easy_read"),
    (["multiple", "intellectual", "hearing"], "easy_read"),
]
CARER_RELATIONS = ["parent", "child", "spouse", "sibling", "guardian"]


class SeedReport(BaseModel):
    """Row counts of the demo data, and how many rows this run created or changed."""

    areas: int
    teams: int
    volunteers: int
    residents: int
    carers: int
    carer_links: int
    coordinators: int
    memberships: int
    created: int
    updated: int
    seconds: float


@lru_cache(maxsize=1)
def demo_data() -> dict[str, Any]:
    """The district description (areas and name lists) from demo_district.toml."""
    return tomllib.loads(DATA_FILE.read_text(encoding="utf-8"))


@dataclass
class _Upsert:
    """Insert-or-update by stable code, counting what changed."""

    session: Session
    created: int = 0
    updated: int = 0
    cache: dict[type, dict[Any, Any]] = field(default_factory=dict)

    def existing(self, model: type[T], key: str = "code") -> dict[Any, T]:
        if model not in self.cache:
            column = getattr(model, key)
            rows = self.session.exec(select(model).where(column.is_not(None))).all()
            self.cache[model] = {getattr(r, key): r for r in rows}
        return self.cache[model]

    def put(self, model: type[T], key_value: Any, values: dict[str, Any], *,
            key: str = "code", insert_only: dict[str, Any] | None = None) -> T:
        rows = self.existing(model, key)
        row = rows.get(key_value)
        if row is None:
            row = model(**{key: key_value, **values, **(insert_only or {})})
            self.session.add(row)
            rows[key_value] = row
            self.created += 1
            return row
        changed = False
        for name, value in values.items():
            if getattr(row, name) != value:
                setattr(row, name, value)
                changed = True
        if changed:
            self.updated += 1
        return row


def _person(rng: random.Random, data: dict[str, Any]) -> tuple[str, str]:
    surname, surname_py = rng.choice(data["names"]["surnames"])
    given = rng.sample(data["names"]["given"], rng.choice((1, 2, 2)))
    name_zh = surname + "".join(g[0] for g in given)
    name_en = f"{surname_py} {''.join(g[1] for g in given).capitalize()}"
    return name_zh, name_en


def _seed_areas(up: _Upsert, data: dict[str, Any]) -> tuple[Area, list[Area], list[list[Area]]]:
    session = up.session

    def area(code: str, level: str, spec: dict[str, Any], parent: Area | None) -> Area:
        row = up.put(Area, code, {
            "level": level, "name_zh": spec["name_zh"], "name_en": spec["name_en"],
            "aliases": list(spec.get("aliases", [])),
            "parent_id": parent.id if parent else None,
        })
        return row

    city = area(data["city"]["code"], AreaLevel.city, data["city"], None)
    session.flush()
    _fix_path(up, city, None)
    district = area(data["district"]["code"], AreaLevel.district, data["district"], city)
    session.flush()
    _fix_path(up, district, city)
    streets = [
        area(f"{district.code}-{s['code']}", AreaLevel.street, s, district)
        for s in data["streets"]
    ]
    session.flush()
    for street in streets:
        _fix_path(up, street, district)
    communities: list[list[Area]] = []
    for street, spec in zip(streets, data["streets"], strict=True):
        communities.append([
            area(f"{street.code}-c{i}", AreaLevel.community, c, street)
            for i, c in enumerate(spec["communities"], start=1)
        ])
    session.flush()
    for street, group in zip(streets, communities, strict=True):
        for community in group:
            _fix_path(up, community, street)
    return district, streets, communities


def _fix_path(up: _Upsert, area: Area, parent: Area | None) -> None:
    before = (area.path, area.depth)
    set_path(area, parent)
    if (area.path, area.depth) != before and before != ("/", 0):
        up.updated += 1


def _team(up: _Upsert, code: str, **values: Any) -> Team:
    defaults: dict[str, Any] = {
        "parent_id": None, "capacity": 10, "duty_start": "08:00", "duty_end": "20:00",
        "is_partner": False, "association": None,
    }
    return up.put(Team, code, {**defaults, **values})


def _seed_teams(
    up: _Upsert, district: Area, streets: list[Area], communities: list[list[Area]]
) -> dict[str, Team]:
    teams: dict[str, Team] = {}
    core = teams["core"] = _team(
        up, "xh-core", name_zh="星河区助残志愿服务总队",
        name_en="Xinghe District Disability Volunteer Corps", area_id=district.id,
        level="district", categories=ALL_CATEGORIES, capacity=60, duty_start="07:00",
        duty_end="22:00", skills=["escort", "first_aid", "driving", "sign_language", "guiding"],
    )
    up.session.flush()
    district_teams = [
        ("first_aid", "xh-first-aid", "星河区应急救护志愿队", "Xinghe First-Aid Volunteer Team",
         ["emergency", "health"], ["first_aid", "nursing", "driving"], None,
         ("00:00", "23:59")),
        ("legal", "xh-legal", "星河区法律援助志愿队", "Xinghe Legal Aid Volunteer Team",
         ["legal", "employment"], ["legal", "counselling"], None, ("09:00", "18:00")),
        ("blind", "xh-assoc-blind", "星河区盲人协会志愿服务队（盲协）",
         "Xinghe Blind Association Volunteer Team", ["reading", "escort", "education", "digital"],
         ["guiding", "braille", "reading", "escort"], "blind", ("08:00", "21:00")),
        ("deaf", "xh-assoc-deaf", "星河区聋人协会手语志愿队（聋协）",
         "Xinghe Deaf Association Sign Language Team",
         ["sign_language", "education", "companionship"], ["sign_language"], "deaf",
         ("08:00", "21:00")),
        ("physical", "xh-assoc-physical", "星河区肢残人协会志愿服务队（肢协）",
         "Xinghe Physical Disability Association Volunteer Team",
         ["repair", "accessibility", "escort", "culture_sports"], ["wheelchair", "repair"],
         "physical", ("08:00", "20:00")),
        ("families", "xh-assoc-families", "星河区智协精协亲友志愿队",
         "Xinghe Intellectual and Psychosocial Disability Families Team",
         ["companionship", "daily_living", "education", "health"],
         ["counselling", "psychology", "rehab", "tutoring"], "intellectual_psychosocial",
         ("08:00", "20:00")),
    ]
    for key, code, zh, en, cats, skills, assoc, (start, end) in district_teams:
        teams[key] = _team(
            up, code, name_zh=zh, name_en=en, area_id=district.id, level="district",
            parent_id=core.id, categories=cats, skills=skills, association=assoc,
            capacity=30, duty_start=start, duty_end=end,
        )
    up.session.flush()
    for street, group in zip(streets, communities, strict=True):
        suffix = street.code.rsplit("-", 1)[-1]
        street_team = teams[suffix] = _team(
            up, f"xh-{suffix}", name_zh=f"{street.name_zh}助残志愿服务分队",
            name_en=f"{street.name_en} Volunteer Sub-team", area_id=street.id, level="street",
            parent_id=core.id, categories=STREET_CATEGORIES, capacity=20,
            skills=["escort", "shopping", "cooking", "cleaning", "first_aid", "wheelchair"],
        )
        up.session.flush()
        for community in group:
            csuffix = community.code.rsplit("-", 1)[-1]
            teams[f"{suffix}-{csuffix}"] = _team(
                up, f"xh-{suffix}-{csuffix}", name_zh=f"{community.name_zh}助残志愿小组",
                name_en=f"{community.name_en} Volunteer Group", area_id=community.id,
                level="community", parent_id=street_team.id, categories=COMMUNITY_CATEGORIES,
                skills=["shopping", "cleaning", "cooking", "escort"], capacity=8,
            )
    by_code = {c.code: c for group in communities for c in group}
    partners = [
        ("hospital", "xh-partner-hospital", "光明市第一人民医院志愿服务队",
         "Guangming First People's Hospital Volunteer Team", "gm-xh-s03-c2", "s03",
         ["escort", "health", "emergency"], ["nursing", "first_aid", "escort", "rehab"]),
        ("school", "xh-partner-school", "光明特殊教育学校志愿服务队",
         "Guangming Special Education School Volunteer Team", "gm-xh-s05-c2", "s05",
         ["education", "culture_sports"], ["tutoring", "reading", "sign_language", "braille"]),
        ("firm", "xh-partner-firm", "星河数码科技有限公司志愿服务队",
         "Xinghe Digital Technology Co. Volunteer Team", "gm-xh-s02-c1", "s02",
         ["digital", "employment"], ["it", "tutoring"]),
    ]
    for key, code, zh, en, area_code, street_key, cats, skills in partners:
        teams[key] = _team(
            up, code, name_zh=zh, name_en=en, area_id=by_code[area_code].id, level="unit",
            parent_id=teams[street_key].id, categories=cats, skills=skills, is_partner=True,
            capacity=15, duty_start="09:00", duty_end="17:30",
        )
    up.session.flush()
    return teams


def _skills(rng: random.Random) -> list[str]:
    weights = [a[1] for a in ARCHETYPES]
    _, _, always, sometimes = rng.choices(ARCHETYPES, weights=weights)[0]
    extra = rng.sample(sometimes, rng.randint(0, min(2, len(sometimes))))
    return list(dict.fromkeys([*always, *extra]))


def _seed_volunteers(
    up: _Upsert, rng: random.Random, data: dict[str, Any], now: datetime,
    streets: list[Area], communities: list[list[Area]],
) -> list[tuple[Volunteer, Area, Area]]:
    english = data["names"]["english"]
    out: list[tuple[Volunteer, Area, Area]] = []
    number = 0
    for street, group in zip(streets, communities, strict=True):
        for index, community in enumerate(group):
            neighbour = group[(index + 1) % len(group)]
            for _ in range(VOLUNTEERS_PER_COMMUNITY):
                number += 1
                name_zh, name_en = _person(rng, data)
                if number % 45 == 7:  # a few volunteers who speak English first
                    name_zh = name_en = english[(number // 45) % len(english)]
                    languages = ["en", "zh"] if rng.random() < 0.5 else ["en"]
                else:
                    languages = ["zh", "en"] if rng.random() < 0.13 else ["zh"]
                service = [community.id, street.id]
                if rng.random() < 0.3:
                    service.insert(1, neighbour.id)
                vol = up.put(Volunteer, f"vol-{number:04d}", {
                    "name": name_zh, "name_en": name_en, "phone": f"139-0000-{number:04d}",
                    "languages": languages, "skills": _skills(rng),
                    "home_area_id": community.id, "service_area_ids": service,
                    "on_duty": rng.random() < 0.6, "max_tasks": rng.choice((1, 2, 2, 3)),
                }, insert_only={"created_at": now})
                out.append((vol, street, community))
    up.session.flush()
    return out


def _seed_memberships(
    up: _Upsert, teams: dict[str, Team], volunteers: list[tuple[Volunteer, Area, Area]]
) -> None:
    members: dict[str, list[Volunteer]] = {key: [] for key in teams}
    by_skill = {
        "deaf": {"sign_language"}, "blind": {"guiding", "braille"}, "physical": {"wheelchair"},
        "families": {"counselling", "psychology", "rehab"}, "first_aid": {"first_aid"},
        "legal": {"legal"}, "hospital": {"nursing"}, "firm": {"it"},
    }
    for vol, street, community in volunteers:
        skey = street.code.rsplit("-", 1)[-1]
        members[skey].append(vol)
        members[f"{skey}-{community.code.rsplit('-', 1)[-1]}"].append(vol)
        for key, wanted in by_skill.items():
            if wanted & set(vol.skills):
                members[key].append(vol)
        if {"tutoring", "braille"} & set(vol.skills) and skey in {"s03", "s04", "s05", "s06"}:
            members["school"].append(vol)
    # The core team: the street sub-team leaders plus a few experienced hands.
    for index, key in enumerate(sorted(k for k in teams if len(k) == 3 and k.startswith("s"))):
        street_members = members[key]
        members["core"].append(street_members[index % len(street_members)])
    members["core"].extend(v for v, _, _ in volunteers[::37])
    rows = {
        (m.team_id, m.volunteer_id): m for m in up.session.exec(select(TeamMember)).all()
    }
    for index, (key, team) in enumerate(sorted(teams.items(), key=lambda kv: kv[1].code)):
        unique = list({v.code: v for v in members[key]}.values())
        leader = unique[index % len(unique)] if unique else None
        for vol in unique:
            role = TeamRole.leader if vol is leader else TeamRole.member
            row = rows.get((team.id, vol.id))
            if row is None:
                up.session.add(TeamMember(team_id=team.id, volunteer_id=vol.id, role=role))
                up.created += 1
            elif row.role != role:
                row.role = role
                up.updated += 1
    up.session.flush()


def _seed_people(
    up: _Upsert, rng: random.Random, data: dict[str, Any], now: datetime, district: Area,
    streets: list[Area], communities: list[list[Area]],
    volunteers: list[tuple[Volunteer, Area, Area]],
) -> None:
    english = data["names"]["english"]
    by_community: dict[int | None, list[Volunteer]] = {}
    for vol, _, community in volunteers:
        by_community.setdefault(community.id, []).append(vol)
    number = 0
    residents: list[Resident] = []
    for group in communities:
        for community in group:
            for _ in range(RESIDENTS_PER_COMMUNITY):
                number += 1
                types, mode = RESIDENT_PROFILES[(number - 1) % len(RESIDENT_PROFILES)]
                building, unit = rng.randint(1, 30), rng.randint(1, 4)
                room = rng.randint(1, 18) * 100 + rng.randint(1, 4)
                contact_zh, _ = _person(rng, data)
                if number % 8 == 3:
                    name = english[(number // 8) % len(english)]
                    lang = "en"
                    address = f"Building {building}, Unit {unit}, Room {room}, {community.name_en}"
                    contact = f"{english[(number // 8 + 5) % len(english)]} 138-0001-{number:04d}"
                else:
                    name, _ = _person(rng, data)
                    lang = "zh"
                    address = f"{community.name_zh}{building}栋{unit}单元{room}室"
                    contact = f"{contact_zh} 138-0001-{number:04d}"
                paired = None
                if number % 4 == 1:  # 一助一: a long-term volunteer from the same community
                    paired = rng.choice(by_community[community.id]).id
                resident = up.put(Resident, f"res-{number:03d}", {
                    "name": name, "lang": lang, "disability_types": list(types), "mode": mode,
                    "area_id": community.id, "address": address,
                    "phone": f"138-0000-{number:04d}", "emergency_contact": contact,
                    "paired_volunteer_id": paired, "timezone": "Asia/Shanghai",
                }, insert_only={"created_at": now})
                if resident.consent_at is None:
                    resident.consent_at = now
                residents.append(resident)
    up.session.flush()
    # Carers of residents who often ask through family (intellectual, psychosocial, multiple).
    cared = [r for r in residents
             if {"intellectual", "psychosocial", "multiple"} & set(r.disability_types)][:6]
    link_rows = {(c.carer_id, c.resident_id): c for c in up.session.exec(select(CarerLink))}
    for index, resident in enumerate(cared, start=1):
        carer_name, _ = _person(rng, data)
        carer = up.put(Carer, f"demo-carer-{index:02d}", {
            "name": carer_name, "lang": resident.lang, "phone": f"137-0000-{index:04d}",
        }, key="web_id")
        up.session.flush()
        relation = CARER_RELATIONS[index % len(CARER_RELATIONS)]
        link = link_rows.get((carer.id, resident.id))
        if link is None:
            up.session.add(CarerLink(carer_id=carer.id, resident_id=resident.id,
                                     relation=relation))
            up.created += 1
        elif link.relation != relation:
            link.relation = relation
            up.updated += 1
    # Coordinators: one for the district, one per street.
    name, _ = _person(rng, data)
    up.put(Coordinator, "coord-xh", {"name": name, "lang": "zh", "area_id": district.id})
    for index, street in enumerate(streets):
        name, _ = _person(rng, data)
        lang = "zh"
        if index == 6:  # one street coordinator works in English
            name, lang = english[-1], "en"
        up.put(Coordinator, f"coord-{street.code.removeprefix('gm-')}",
               {"name": name, "lang": lang, "area_id": street.id})
    up.session.flush()


def seed_demo(session: Session, *, now: datetime | None = None) -> SeedReport:
    """Create or refresh the demo district (upsert by code; a second run changes nothing)."""
    started = time.perf_counter()
    now = now if now is not None else datetime.now(UTC)
    data = demo_data()
    rng = random.Random(SEED)
    up = _Upsert(session)
    with session.no_autoflush:
        district, streets, communities = _seed_areas(up, data)
        teams = _seed_teams(up, district, streets, communities)
        volunteers = _seed_volunteers(up, rng, data, now, streets, communities)
        _seed_memberships(up, teams, volunteers)
        _seed_people(up, rng, data, now, district, streets, communities, volunteers)
    session.commit()
    area_codes = [a.code for a in up.existing(Area).values()]
    demo_areas = [c for c in area_codes if c == "gm" or c.startswith("gm-")]
    team_ids = [t.id for t in teams.values()]
    memberships = session.exec(
        select(TeamMember).where(col(TeamMember.team_id).in_(team_ids))
    ).all()
    return SeedReport(
        areas=len(demo_areas),
        teams=len(teams),
        volunteers=len(volunteers),
        residents=sum(len(g) for g in communities) * RESIDENTS_PER_COMMUNITY,
        carers=sum(1 for k in up.existing(Carer, "web_id") if str(k).startswith("demo-carer-")),
        carer_links=len(session.exec(
            select(CarerLink).join(Carer, col(Carer.id) == col(CarerLink.carer_id))
            .where(col(Carer.web_id).startswith("demo-carer-"))
        ).all()),
        coordinators=1 + len(streets),
        memberships=len(memberships),
        created=up.created,
        updated=up.updated,
        seconds=round(time.perf_counter() - started, 3),
    )
