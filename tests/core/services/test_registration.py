"""Registering residents, volunteers, carers and coordinators."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlmodel import Session

from core.exceptions import AlreadyExists, InvalidInput, NotFound
from core.models import ResidentCreate, Volunteer, VolunteerCreate
from core.services import registration as reg
from tests.core.services.conftest import Tree

NOW = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def _utc(moment: datetime) -> datetime:
    """SQLite hands back naive UTC, PostgreSQL aware: compare both as aware UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _resident(tree: Tree, **changes: Any) -> ResidentCreate:
    values: dict[str, Any] = {
        "name": "张伟", "lang": "zh", "disability_types": ["visual"], "mode": "voice",
        "area_id": tree.sunshine.id, "address": "阳光社区3栋2单元501室",
        "phone": "138-0000-0001", "emergency_contact": "张丽 138-0001-0001",
        "consent": True,
    }
    values.update(changes)
    return ResidentCreate(**values)


def test_register_resident_with_consent(session: Session, tree: Tree) -> None:
    r = reg.register_resident(session, data=_resident(tree, telegram_id=5551), now=NOW,
                              code="res-x1")
    assert r.id is not None and r.code == "res-x1"
    assert r.consent_at is not None
    assert _utc(r.consent_at) == NOW
    assert (r.mode, r.disability_types, r.telegram_id) == ("voice", ["visual"], 5551)


def test_register_resident_without_consent(session: Session, tree: Tree) -> None:
    r = reg.register_resident(session, data=_resident(tree, consent=False, address="  "))
    assert r.consent_at is None
    assert r.address is None


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"lang": "fr"}, "profile.invalid.lang"),
        ({"disability_types": ["blind"]}, "profile.invalid.disability"),
        ({"mode": "braille"}, "profile.invalid.mode"),
        ({"area_id": 9999}, "profile.invalid.area"),
        ({"name": "   "}, "profile.invalid.name"),
        ({"phone": "call me"}, "profile.invalid.phone"),
        ({"paired_volunteer_id": 9999}, "profile.invalid.volunteer"),
    ],
)
def test_register_resident_rejects(
    session: Session, tree: Tree, changes: dict[str, Any], key: str
) -> None:
    with pytest.raises(InvalidInput) as err:
        reg.register_resident(session, data=_resident(tree, **changes))
    assert err.value.prompt_key == key
    assert err.value.message


def test_register_resident_duplicate_telegram(session: Session, tree: Tree) -> None:
    reg.register_resident(session, data=_resident(tree, telegram_id=42))
    with pytest.raises(AlreadyExists):
        reg.register_resident(session, data=_resident(tree, telegram_id=42, name="李四"))


def test_register_volunteer(session: Session, tree: Tree) -> None:
    v = reg.register_volunteer(session, code="vol-x1", data=VolunteerCreate(
        name="王芳", languages=["zh", "zh", "en"], skills=["braille", "guiding"],
        home_area_id=tree.sunshine.id, service_area_ids=[tree.street.id], telegram_id=77))
    assert v.languages == ["zh", "en"]
    assert v.skills == ["braille", "guiding"]
    assert v.on_duty is False


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"languages": []}, "profile.invalid.lang"),
        ({"languages": ["zh", "de"]}, "profile.invalid.lang"),
        ({"skills": ["juggling"]}, "profile.invalid.skill"),
        ({"home_area_id": 9999}, "profile.invalid.area"),
        ({"service_area_ids": [9999]}, "profile.invalid.area"),
        ({"max_tasks": 0}, "profile.invalid.number"),
    ],
)
def test_register_volunteer_rejects(
    session: Session, tree: Tree, changes: dict[str, Any], key: str
) -> None:
    values: dict[str, Any] = {"name": "王芳", "skills": ["escort"]}
    values.update(changes)
    with pytest.raises(InvalidInput) as err:
        reg.register_volunteer(session, data=VolunteerCreate(**values))
    assert err.value.prompt_key == key


def test_register_volunteer_duplicates(session: Session, volunteer: Volunteer) -> None:
    reg.register_volunteer(session, data=VolunteerCreate(name="甲", telegram_id=9), code="v-a")
    with pytest.raises(AlreadyExists):
        reg.register_volunteer(session, data=VolunteerCreate(name="乙", telegram_id=9))
    with pytest.raises(AlreadyExists):
        reg.register_volunteer(session, data=VolunteerCreate(name="丙"), code="v-a")
    with pytest.raises(InvalidInput):
        reg.register_volunteer(session, data=VolunteerCreate(name="丁"), code="bad code!")


def test_carer_link_and_relink(session: Session, tree: Tree) -> None:
    resident = reg.register_resident(session, data=_resident(tree))
    carer = reg.register_carer(session, name="刘敏", phone="137-0000-0001", telegram_id=11)
    link = reg.link_carer(session, carer_id=carer.id, resident_id=resident.id, relation="parent")
    assert link.relation == "parent"
    again = reg.link_carer(session, carer_id=carer.id, resident_id=resident.id,
                           relation="guardian")
    assert again.relation == "guardian"
    reg.unlink_carer(session, carer_id=carer.id, resident_id=resident.id)
    with pytest.raises(NotFound):
        reg.unlink_carer(session, carer_id=carer.id, resident_id=resident.id)


def test_carer_errors(session: Session, tree: Tree) -> None:
    resident = reg.register_resident(session, data=_resident(tree))
    carer = reg.register_carer(session, name="刘敏", web_id="w-1")
    with pytest.raises(NotFound):
        reg.link_carer(session, carer_id=9999, resident_id=resident.id)
    with pytest.raises(NotFound):
        reg.link_carer(session, carer_id=carer.id, resident_id=9999)
    with pytest.raises(InvalidInput) as err:
        reg.link_carer(session, carer_id=carer.id, resident_id=resident.id, relation="boss")
    assert err.value.prompt_key == "profile.invalid.relation"
    with pytest.raises(AlreadyExists):
        reg.register_carer(session, name="又一个", web_id="w-1")
    with pytest.raises(InvalidInput):
        reg.register_carer(session, name="x", lang="jp")


def test_register_coordinator(session: Session, tree: Tree) -> None:
    c = reg.register_coordinator(session, name="陈静", area_id=tree.street.id, code="co-1",
                                 telegram_id=31)
    assert (c.area_id, c.lang) == (tree.street.id, "zh")
    with pytest.raises(AlreadyExists):
        reg.register_coordinator(session, name="陈静", area_id=tree.street.id, code="co-1")
    with pytest.raises(InvalidInput):
        reg.register_coordinator(session, name="陈静", area_id=9999)
