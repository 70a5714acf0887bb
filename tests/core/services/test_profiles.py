"""Profiles: reading, updating, duty, consent, carers, forgetting a resident."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlmodel import Session, select

from core.exceptions import ConsentRequired, InvalidInput, NotFound
from core.models import (
    CarerLink,
    HelpRequest,
    PairSchedule,
    Resident,
    ResidentCreate,
    ResidentUpdate,
    Volunteer,
    VolunteerUpdate,
)
from core.services import profiles
from core.services.registration import link_carer, register_carer, register_resident
from tests.core.services.conftest import Tree


@pytest.fixture
def resident(session: Session, tree: Tree, volunteer: Volunteer) -> Resident:
    return register_resident(session, data=ResidentCreate(
        name="赵敏", disability_types=["hearing"], mode="text", area_id=tree.sunshine.id,
        address="阳光社区1栋101室", phone="138-0000-0002", emergency_contact="赵强 138-0001-0002",
        paired_volunteer_id=volunteer.id, telegram_id=1234, web_id="web-abc"))


def test_get_and_not_found(session: Session, resident: Resident, volunteer: Volunteer) -> None:
    assert profiles.get_resident(session, resident_id=resident.id).name == "赵敏"
    assert profiles.get_volunteer(session, volunteer_id=volunteer.id).name == "李明"
    with pytest.raises(NotFound):
        profiles.get_resident(session, resident_id=9999)
    with pytest.raises(NotFound):
        profiles.get_volunteer(session, volunteer_id=9999)
    with pytest.raises(NotFound):
        profiles.update_resident(session, resident_id=9999, data=ResidentUpdate(name="x"))
    with pytest.raises(NotFound):
        profiles.set_on_duty(session, volunteer_id=9999, on_duty=True)


def test_update_resident_only_given_fields(
    session: Session, tree: Tree, resident: Resident
) -> None:
    updated = profiles.update_resident(session, resident_id=resident.id, data=ResidentUpdate(
        mode="large_text", disability_types=["low_vision"], area_id=tree.riverside.id))
    assert (updated.mode, updated.disability_types) == ("large_text", ["low_vision"])
    assert updated.area_id == tree.riverside.id
    assert updated.phone == "138-0000-0002"  # untouched
    cleared = profiles.update_resident(session, resident_id=resident.id,
                                       data=ResidentUpdate(paired_volunteer_id=None))
    assert cleared.paired_volunteer_id is None


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"lang": "xx"}, "profile.invalid.lang"),
        ({"mode": "loud"}, "profile.invalid.mode"),
        ({"disability_types": ["visual", "tired"]}, "profile.invalid.disability"),
        ({"area_id": 9999}, "profile.invalid.area"),
        ({"name": ""}, "profile.invalid.name"),
    ],
)
def test_update_resident_rejects(
    session: Session, resident: Resident, changes: dict[str, Any], key: str
) -> None:
    with pytest.raises(InvalidInput) as err:
        profiles.update_resident(session, resident_id=resident.id, data=ResidentUpdate(**changes))
    assert err.value.prompt_key == key
    session.rollback()
    assert profiles.get_resident(session, resident_id=resident.id).mode == "text"


def test_update_volunteer_and_duty(session: Session, volunteer: Volunteer) -> None:
    v = profiles.update_volunteer(session, volunteer_id=volunteer.id, data=VolunteerUpdate(
        skills=["first_aid", "driving"], max_tasks=3))
    assert (v.skills, v.max_tasks, v.languages) == (["first_aid", "driving"], 3, ["zh", "en"])
    assert profiles.set_on_duty(session, volunteer_id=volunteer.id, on_duty=False).on_duty is False
    assert profiles.set_on_duty(session, volunteer_id=volunteer.id, on_duty=True).on_duty is True
    with pytest.raises(InvalidInput):
        profiles.update_volunteer(session, volunteer_id=volunteer.id,
                                  data=VolunteerUpdate(skills=["flying"]))
    with pytest.raises(InvalidInput):
        profiles.update_volunteer(session, volunteer_id=volunteer.id,
                                  data=VolunteerUpdate(service_area_ids=[9999]))
    with pytest.raises(NotFound):
        profiles.update_volunteer(session, volunteer_id=9999, data=VolunteerUpdate())


def test_consent(session: Session, resident: Resident) -> None:
    with pytest.raises(ConsentRequired):
        profiles.require_consent(session, resident_id=resident.id)
    first = datetime(2026, 1, 2, 3, 4, tzinfo=UTC)
    r = profiles.give_consent(session, resident_id=resident.id, now=first)
    assert r.consent_at is not None
    later = profiles.give_consent(session, resident_id=resident.id,
                                  now=datetime(2026, 5, 1, tzinfo=UTC))
    assert later.consent_at == r.consent_at  # the first agreement is the one on record
    assert profiles.require_consent(session, resident_id=resident.id).id == resident.id
    with pytest.raises(NotFound):
        profiles.give_consent(session, resident_id=9999)


def test_residents_for_carer(session: Session, tree: Tree, resident: Resident) -> None:
    other = register_resident(session, data=ResidentCreate(name="孙杰", area_id=tree.sunshine.id))
    register_resident(session, data=ResidentCreate(name="无关", area_id=tree.sunshine.id))
    carer = register_carer(session, name="赵强")
    link_carer(session, carer_id=carer.id, resident_id=other.id)
    link_carer(session, carer_id=carer.id, resident_id=resident.id)
    found = profiles.residents_for_carer(session, carer_id=carer.id)
    assert [r.id for r in found] == sorted([resident.id, other.id])
    with pytest.raises(NotFound):
        profiles.residents_for_carer(session, carer_id=9999)


def test_forget_keeps_history(session: Session, resident: Resident, volunteer: Volunteer) -> None:
    carer = register_carer(session, name="赵强")
    link_carer(session, carer_id=carer.id, resident_id=resident.id)
    session.add(HelpRequest(resident_id=resident.id, text="请帮我打电话给医院"))
    session.add(PairSchedule(resident_id=resident.id, volunteer_id=volunteer.id))
    session.commit()
    assert profiles.delete_resident(session, resident_id=resident.id) is False
    r = profiles.get_resident(session, resident_id=resident.id)
    assert (r.name, r.address, r.phone, r.emergency_contact) == ("", None, None, None)
    assert r.disability_types == [] and r.telegram_id is None and r.web_id is None
    assert r.consent_at is None and r.paired_volunteer_id is None
    assert session.exec(select(HelpRequest).where(HelpRequest.resident_id == r.id)).one()
    assert session.exec(select(CarerLink)).all() == []
    assert session.exec(select(PairSchedule)).one().active is False


def test_delete_without_history(session: Session, resident: Resident) -> None:
    carer = register_carer(session, name="赵强")
    link_carer(session, carer_id=carer.id, resident_id=resident.id)
    assert profiles.delete_resident(session, resident_id=resident.id) is True
    with pytest.raises(NotFound):
        profiles.get_resident(session, resident_id=resident.id)
    with pytest.raises(NotFound):
        profiles.forget_resident(session, resident_id=resident.id)
