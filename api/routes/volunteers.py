"""Volunteers: staff of the area manage them; a volunteer sees and edits their own profile."""

from __future__ import annotations

from fastapi import APIRouter
from sqlmodel import Session

from api.deps import AnyPrincipal, SessionDep, Staff
from api.errors import forbidden, not_found
from api.routes.common import ERRORS, AfterId, Limit, PathId
from api.schemas import DeletedOut, VolunteerOut
from core.models import Role, Volunteer, VolunteerCreate, VolunteerPublic, VolunteerUpdate
from core.services import crud_people, profiles, registration
from core.services.apikeys import Principal

router = APIRouter(prefix="/api/v1/volunteers", tags=["volunteers"], responses=ERRORS)


def _visible(session: Session, principal: Principal, volunteer_id: int) -> Volunteer:
    volunteer = profiles.get_volunteer(session, volunteer_id=volunteer_id)
    if not crud_people.can_see_volunteer(principal, volunteer):
        raise not_found()
    return volunteer


@router.get("", response_model=list[VolunteerPublic])
def list_volunteers(
    session: SessionDep,
    principal: Staff,
    on_duty: bool | None = None,
    after_id: AfterId = 0,
    limit: Limit = 50,
) -> list[VolunteerPublic]:
    """Volunteers living in the caller's areas, by id (no phone numbers)."""
    scope = None if principal.is_admin else principal.area_scope
    rows = crud_people.list_volunteers(
        session, area_scope=scope, on_duty=on_duty, after_id=after_id, limit=limit
    )
    return [VolunteerPublic.model_validate(v) for v in rows]


@router.post("", response_model=VolunteerOut, status_code=201)
def create_volunteer(body: VolunteerCreate, session: SessionDep, principal: Staff) -> VolunteerOut:
    """Register a volunteer living in one of the caller's areas."""
    if not principal.is_admin and not principal.sees_area(body.home_area_id):
        raise forbidden()
    return VolunteerOut.model_validate(registration.register_volunteer(session, data=body))


@router.get("/{volunteer_id}", response_model=VolunteerOut)
def get_volunteer(
    volunteer_id: PathId, session: SessionDep, principal: AnyPrincipal
) -> VolunteerOut:
    """A volunteer's profile with phone: the volunteer, admins, coordinators of the area."""
    return VolunteerOut.model_validate(_visible(session, principal, volunteer_id))


@router.patch("/{volunteer_id}", response_model=VolunteerOut)
def update_volunteer(
    volunteer_id: PathId, body: VolunteerUpdate, session: SessionDep, principal: AnyPrincipal
) -> VolunteerOut:
    """Change a profile (skills, duty, areas…): the volunteer or staff of the area."""
    _visible(session, principal, volunteer_id)
    moved = body.model_dump(exclude_unset=True).get("home_area_id")
    if principal.is_coordinator and moved is not None and not principal.sees_area(moved):
        raise forbidden()
    if principal.role == Role.resident:
        raise forbidden()
    volunteer = profiles.update_volunteer(session, volunteer_id=volunteer_id, data=body)
    return VolunteerOut.model_validate(volunteer)


@router.delete("/{volunteer_id}", response_model=DeletedOut)
def delete_volunteer(volunteer_id: PathId, session: SessionDep, principal: Staff) -> DeletedOut:
    """Remove a volunteer without history (409 when they have offers, requests or hours)."""
    _visible(session, principal, volunteer_id)
    crud_people.delete_volunteer(session, volunteer_id=volunteer_id)
    return DeletedOut(id=volunteer_id, deleted=True)
