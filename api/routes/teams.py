"""Volunteer teams: anyone with a key reads them; admins and the area's coordinators change them."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import AnyPrincipal, SessionDep, Staff
from api.errors import forbidden
from api.routes.common import ERRORS, PathId, QueryId
from api.schemas import DeletedOut
from core.models import TeamCreate, TeamPublic, TeamUpdate
from core.services import crud_teams, teams

router = APIRouter(prefix="/api/v1/teams", tags=["teams"], responses=ERRORS)


@router.get("", response_model=list[TeamPublic])
def list_teams(
    session: SessionDep, principal: AnyPrincipal, area_id: QueryId = None
) -> list[TeamPublic]:
    """Every team, or the teams of one area."""
    return [TeamPublic.model_validate(t) for t in teams.list_teams(session, area_id=area_id)]


@router.get("/{team_id}", response_model=TeamPublic)
def get_team(team_id: PathId, session: SessionDep, principal: AnyPrincipal) -> TeamPublic:
    """One team."""
    return TeamPublic.model_validate(teams.get_team(session, team_id=team_id))


@router.post("", response_model=TeamPublic, status_code=201)
def create_team(body: TeamCreate, session: SessionDep, principal: Staff) -> TeamPublic:
    """A new team in an area the caller looks after."""
    if not principal.sees_area(body.area_id):
        raise forbidden()
    return TeamPublic.model_validate(teams.create_team(session, data=body))


@router.patch("/{team_id}", response_model=TeamPublic)
def update_team(
    team_id: PathId, body: TeamUpdate, session: SessionDep, principal: Staff
) -> TeamPublic:
    """Change a team of the caller's areas."""
    if not principal.sees_area(teams.get_team(session, team_id=team_id).area_id):
        raise forbidden()
    return TeamPublic.model_validate(teams.update_team(session, team_id=team_id, data=body))


@router.delete("/{team_id}", response_model=DeletedOut)
def delete_team(team_id: PathId, session: SessionDep, principal: Staff) -> DeletedOut:
    """Remove a team with no history (409 otherwise)."""
    if not principal.sees_area(teams.get_team(session, team_id=team_id).area_id):
        raise forbidden()
    crud_teams.delete_team(session, team_id=team_id)
    return DeletedOut(id=team_id, deleted=True)
