"""Teams: creation, membership with one leader, signed invite links."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import Session

from core.exceptions import AlreadyExists, InvalidInput, NotFound
from core.models import Team, TeamCreate, TeamUpdate, Volunteer, VolunteerCreate
from core.services import teams
from core.services.registration import register_volunteer
from core.settings import Settings
from tests.core.services.conftest import Tree


def _team(tree: Tree, **changes: Any) -> TeamCreate:
    values: dict[str, Any] = {
        "code": "t-deaf", "name_zh": "聋协手语队", "name_en": "Deaf Association Team",
        "area_id": tree.district.id, "level": "district", "categories": ["sign_language"],
        "skills": ["sign_language"], "association": "deaf",
    }
    values.update(changes)
    return TeamCreate(**values)


@pytest.fixture
def team(session: Session, tree: Tree) -> Team:
    return teams.create_team(session, data=_team(tree))


def _vol(session: Session, name: str) -> Volunteer:
    return register_volunteer(session, data=VolunteerCreate(name=name))


def test_create_get_update_list(session: Session, tree: Tree, team: Team) -> None:
    child = teams.create_team(session, data=_team(
        tree, code="t-c1", level="community", area_id=tree.sunshine.id, parent_id=team.id,
        association=None, categories=["daily_living"], skills=[]))
    assert teams.get_team(session, team_id=team.id).association == "deaf"
    assert teams.get_team_by_code(session, code="t-c1").parent_id == team.id
    assert [t.code for t in teams.list_teams(session)] == ["t-deaf", "t-c1"]
    assert [t.code for t in teams.list_teams(session, area_id=tree.sunshine.id)] == ["t-c1"]
    updated = teams.update_team(session, team_id=child.id, data=TeamUpdate(
        duty_start="07:30", capacity=4, skills=["escort"]))
    assert (updated.duty_start, updated.capacity, updated.skills) == ("07:30", 4, ["escort"])


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"level": "galaxy"}, "profile.invalid.level"),
        ({"association": "chess"}, "profile.invalid.association"),
        ({"categories": ["magic"]}, "profile.invalid.category"),
        ({"skills": ["magic"]}, "profile.invalid.skill"),
        ({"area_id": 9999}, "profile.invalid.area"),
        ({"parent_id": 9999}, "profile.invalid.team"),
        ({"duty_start": "25:00"}, "profile.invalid.time"),
        ({"capacity": 0}, "profile.invalid.number"),
    ],
)
def test_create_rejects(session: Session, tree: Tree, changes: dict[str, Any], key: str) -> None:
    with pytest.raises(InvalidInput) as err:
        teams.create_team(session, data=_team(tree, code="t-new", **changes))
    assert err.value.prompt_key == key


def test_duplicate_and_missing(session: Session, tree: Tree, team: Team) -> None:
    with pytest.raises(AlreadyExists):
        teams.create_team(session, data=_team(tree))
    with pytest.raises(NotFound):
        teams.get_team(session, team_id=9999)
    with pytest.raises(NotFound):
        teams.get_team_by_code(session, code="nope")
    with pytest.raises(NotFound):
        teams.update_team(session, team_id=9999, data=TeamUpdate(capacity=2))
    with pytest.raises(InvalidInput):
        teams.update_team(session, team_id=team.id, data=TeamUpdate(duty_end="8am"))


def test_members_and_single_leader(session: Session, team: Team) -> None:
    a, b, c = (_vol(session, n) for n in ("甲", "乙", "丙"))
    teams.add_member(session, team_id=team.id, volunteer_id=a.id, role="leader")
    teams.add_member(session, team_id=team.id, volunteer_id=b.id)
    teams.add_member(session, team_id=team.id, volunteer_id=c.id, role="leader")
    members = teams.team_members(session, team_id=team.id)
    assert [(m.volunteer_id, m.role) for m in members] == [
        (c.id, "leader"), (a.id, "member"), (b.id, "member")]
    teams.set_member_role(session, team_id=team.id, volunteer_id=a.id, role="leader")
    leaders = [m.volunteer_id for m in teams.team_members(session, team_id=team.id)
               if m.role == "leader"]
    assert leaders == [a.id]
    assert [t.id for t in teams.volunteer_teams(session, volunteer_id=b.id)] == [team.id]
    teams.remove_member(session, team_id=team.id, volunteer_id=b.id)
    assert [v.id for v in teams.team_volunteers(session, team_id=team.id)] == [a.id, c.id]
    assert teams.team_volunteers(session, team_id=team.id, on_duty=True) == []


def test_member_errors(session: Session, team: Team, volunteer: Volunteer) -> None:
    teams.add_member(session, team_id=team.id, volunteer_id=volunteer.id)
    with pytest.raises(AlreadyExists):
        teams.add_member(session, team_id=team.id, volunteer_id=volunteer.id)
    with pytest.raises(NotFound):
        teams.add_member(session, team_id=team.id, volunteer_id=9999)
    with pytest.raises(NotFound):
        teams.add_member(session, team_id=9999, volunteer_id=volunteer.id)
    with pytest.raises(InvalidInput):
        teams.set_member_role(session, team_id=team.id, volunteer_id=volunteer.id, role="boss")
    with pytest.raises(NotFound):
        teams.remove_member(session, team_id=team.id, volunteer_id=9999)
    with pytest.raises(NotFound):
        teams.set_member_role(session, team_id=team.id, volunteer_id=9999, role="leader")
    with pytest.raises(NotFound):
        teams.team_members(session, team_id=9999)


def test_invite_round_trip(
    session: Session, settings: Settings, team: Team, volunteer: Volunteer
) -> None:
    code = teams.create_invite_code(session, settings=settings, team_id=team.id)
    payload = teams.invite_deep_link_payload(code)
    assert payload.startswith("team-") and len(payload) <= 64
    assert all(ch.isalnum() or ch in "-_" for ch in payload)  # Telegram /start alphabet
    member = teams.join_by_invite(session, settings=settings, code=payload,
                                  volunteer_id=volunteer.id)
    assert (member.team_id, member.role) == (team.id, "member")
    again = teams.join_by_invite(session, settings=settings, code=code, volunteer_id=volunteer.id)
    assert again.team_id == team.id


def test_invite_forgeries_rejected(
    session: Session, settings: Settings, tree: Tree, team: Team, volunteer: Volunteer
) -> None:
    other = teams.create_team(session, data=_team(tree, code="t-other", association=None))
    code = teams.create_invite_code(session, settings=settings, team_id=team.id)
    signature = code.split("-", 1)[1]
    forged = [
        f"{other.id}-{signature}",  # another team's id with this team's signature
        code[:-1] + ("0" if code[-1] != "0" else "1"),
        "team-abc", "", f"{team.id}", "9999-0123456789abcdef",
    ]
    for bad in forged:
        with pytest.raises(InvalidInput) as err:
            teams.join_by_invite(session, settings=settings, code=bad, volunteer_id=volunteer.id)
        assert err.value.prompt_key == "profile.invalid.invite"
    other_deploy = Settings(database_url=settings.database_url, admin_key="another-secret")
    with pytest.raises(InvalidInput):
        teams.team_for_invite(session, settings=other_deploy, code=code)
    with pytest.raises(NotFound):
        teams.join_by_invite(session, settings=settings, code=code, volunteer_id=9999)
    with pytest.raises(NotFound):
        teams.create_invite_code(session, settings=settings, team_id=9999)
