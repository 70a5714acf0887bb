"""Identity: one Telegram account may be a resident, volunteer, carer and coordinator."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from core.exceptions import AlreadyExists, InvalidInput, NotFound
from core.models import ResidentCreate, Volunteer
from core.services import identity
from core.services.registration import register_carer, register_coordinator, register_resident
from tests.core.services.conftest import Tree


def test_unknown_user(session: Session, tree: Tree) -> None:
    match = identity.find_by_telegram(session, telegram_id=1)
    assert match.known is False and match.roles == [] and match.lang is None


def test_every_role_found(session: Session, tree: Tree, volunteer: Volunteer) -> None:
    register_resident(session, data=ResidentCreate(name="甲", lang="en", telegram_id=7))
    register_carer(session, name="乙", telegram_id=7)
    register_coordinator(session, name="丙", area_id=tree.street.id, telegram_id=7)
    identity.link_telegram(session, kind="volunteer", row_id=volunteer.id, telegram_id=7)
    match = identity.find_by_telegram(session, telegram_id=7)
    assert match.roles == ["resident", "volunteer", "carer", "coordinator"]
    assert match.volunteer is not None and match.volunteer.id == volunteer.id
    assert match.lang == "en"
    assert identity.find_by_telegram(session, telegram_id=8).known is False


def test_volunteer_only_language(session: Session, volunteer: Volunteer) -> None:
    identity.link_telegram(session, kind="volunteer", row_id=volunteer.id, telegram_id=5)
    assert identity.find_by_telegram(session, telegram_id=5).lang == "zh"


def test_link_telegram_errors(session: Session, tree: Tree, volunteer: Volunteer) -> None:
    register_carer(session, name="乙", telegram_id=3)
    other = register_carer(session, name="丁")
    with pytest.raises(AlreadyExists):
        identity.link_telegram(session, kind="carer", row_id=other.id, telegram_id=3)
    with pytest.raises(NotFound):
        identity.link_telegram(session, kind="resident", row_id=9999, telegram_id=4)
    with pytest.raises(InvalidInput):
        identity.link_telegram(session, kind="admin", row_id=1, telegram_id=4)


def test_web_resident_created_once(session: Session) -> None:
    first = identity.get_or_create_web_resident(session, web_id="w-123", lang="en")
    again = identity.get_or_create_web_resident(session, web_id="w-123", lang="zh")
    assert first.id == again.id and again.lang == "en"
    assert first.consent_at is None
    assert identity.find_by_web(session, web_id="w-123").resident is not None
    assert identity.find_by_web(session, web_id="nobody").known is False


@pytest.mark.parametrize(("web_id", "lang"), [("", "zh"), ("x" * 65, "zh"), ("w-1", "klingon")])
def test_web_resident_rejects(session: Session, web_id: str, lang: str) -> None:
    with pytest.raises(InvalidInput):
        identity.get_or_create_web_resident(session, web_id=web_id, lang=lang)
