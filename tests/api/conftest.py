"""A small world for API tests: two districts, people in each, keys for every role."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlmodel import Session

from api.app import create_app
from core.models import (
    AreaCreate,
    Coordinator,
    Event,
    HelpRequest,
    Offer,
    Resident,
    TeamCreate,
    Volunteer,
)
from core.services import apikeys, areas, teams
from core.settings import Settings

ADMIN_KEY = "lw-test-admin-key"


@dataclass
class World:
    """Ids and keys of the test world (district A with street A1, district B)."""

    ids: dict[str, int] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)

    def auth(self, who: str) -> dict[str, str]:
        """Headers for a role name ('admin', 'coord_a', 'vol_a', 'res_b', …; 'none': no key)."""
        if who == "none":
            return {}
        return {"Authorization": f"Bearer {self.keys[who]}"}


@pytest.fixture
def api_settings(settings: Settings) -> Settings:
    """Test settings with an admin key and a rate limit no ordinary test reaches."""
    return settings.model_copy(
        update={"admin_key": SecretStr(ADMIN_KEY), "rate_limit_per_minute": 100_000}
    )


def _area(session: Session, code: str, level: str, parent: int | None) -> int:
    area = areas.create_area(
        session,
        data=AreaCreate(code=code, level=level, name_zh=code, name_en=code, parent_id=parent),
    )
    assert area.id is not None
    return area.id


def _add(session: Session, row: object) -> int:
    session.add(row)
    session.commit()
    session.refresh(row)
    return row.id  # type: ignore[attr-defined]


def build_world(session: Session) -> World:
    """Areas, residents, volunteers, two offered requests and a key for each role."""
    world = World()
    ids = world.ids
    ids["city"] = _area(session, "city", "city", None)
    ids["area_a"] = _area(session, "dist-a", "district", ids["city"])
    ids["area_a1"] = _area(session, "street-a1", "street", ids["area_a"])
    ids["area_b"] = _area(session, "dist-b", "district", ids["city"])
    for name, area in (("a", "area_a1"), ("b", "area_b")):
        ids[f"res_{name}"] = _add(session, Resident(
            name=f"Resident {name}", lang="en", area_id=ids[area], address=f"{name} Road 1",
            phone="13800000000", disability_types=["visual"], consent_at=datetime.now(UTC),
        ))
    ids["vol_a"] = _add(session, Volunteer(name="Vol A", home_area_id=ids["area_a1"],
                                           on_duty=True, phone="13900000001"))
    ids["vol_a2"] = _add(session, Volunteer(name="Vol A2", home_area_id=ids["area_a"],
                                            on_duty=True))
    ids["vol_b"] = _add(session, Volunteer(name="Vol B", home_area_id=ids["area_b"],
                                           on_duty=True))
    ids["team_a"] = teams.create_team(session, data=TeamCreate(
        code="team-a", name_zh="A队", name_en="Team A", area_id=ids["area_a"], level="district",
    )).id or 0
    now = datetime.now(UTC)
    for name, area, vols in (("a", "area_a1", ("vol_a", "vol_a2")), ("b", "area_b", ("vol_b",))):
        req_id = _add(session, HelpRequest(
            resident_id=ids[f"res_{name}"], text=f"Please read my letter {name}", lang="en",
            area_id=ids[area], status="offered", category="reading", urgency="normal",
            confidence=0.9, deadline=now + timedelta(hours=1), first_offer_at=now,
        ))
        ids[f"req_{name}"] = req_id
        _add(session, Event(request_id=req_id, kind="created", to_status="new"))
        for vol in vols:
            ids[f"offer_{vol}"] = _add(session, Offer(
                request_id=req_id, volunteer_id=ids[vol], deadline=now + timedelta(hours=1),
            ))
    world.keys["admin"] = ADMIN_KEY
    ids["coord_a"] = _add(session, Coordinator(name="Coord A", area_id=ids["area_a"]))
    for who, role, area_ids, subject in (
        ("coord_a", "coordinator", [ids["area_a"]], ids["coord_a"]),
        ("coord_b", "coordinator", [ids["area_b"]], None),
        ("vol_a", "volunteer", [], ids["vol_a"]),
        ("vol_a2", "volunteer", [], ids["vol_a2"]),
        ("vol_b", "volunteer", [], ids["vol_b"]),
        ("res_a", "resident", [], ids["res_a"]),
        ("res_b", "resident", [], ids["res_b"]),
        ("db_admin", "admin", [], None),
    ):
        _, token = apikeys.create_key(
            session, role=role, area_ids=area_ids, subject_id=subject, name=who
        )
        world.keys[who] = token
    return world


@pytest.fixture
def api_world(sessions: Callable[[], Session]) -> World:
    """The test world in the test database."""
    with sessions() as session:
        return build_world(session)


@pytest.fixture
def api_app(api_settings: Settings, sessions: Callable[[], Session]) -> FastAPI:
    """The app on the test database."""
    return create_app(api_settings, sessions=sessions)


@pytest.fixture
def api_client(api_app: FastAPI) -> Iterator[TestClient]:
    """An in-process client of the app."""
    with TestClient(api_app) as client:
        yield client
