"""Residents: staff of the area see and change them; a resident sees and edits themself."""

from __future__ import annotations

from fastapi import APIRouter
from sqlmodel import Session

from api.deps import AnyPrincipal, SessionDep, Staff
from api.errors import forbidden, not_found
from api.render import public
from api.routes.common import ERRORS, AfterId, Limit, PathId, QueryId
from api.schemas import DeletedOut
from core.models import ResidentCreate, ResidentPrivate, ResidentUpdate, Role
from core.models.people import Resident
from core.services import crud_people, profiles, registration
from core.services.apikeys import Principal

router = APIRouter(prefix="/api/v1/residents", tags=["residents"], responses=ERRORS)


def _visible(session: Session, principal: Principal, resident_id: int) -> Resident:
    resident = profiles.get_resident(session, resident_id=resident_id)
    if not crud_people.can_see_resident(session, principal, resident):
        raise not_found()
    return resident


@router.get("", response_model=list[ResidentPrivate])
def list_residents(
    session: SessionDep,
    principal: Staff,
    area_id: QueryId = None,
    after_id: AfterId = 0,
    limit: Limit = 50,
) -> list[ResidentPrivate]:
    """Residents of the caller's areas, by id (page with after_id)."""
    scope = None if principal.is_admin else principal.area_scope
    rows = crud_people.list_residents(
        session, area_scope=scope, area_id=area_id, after_id=after_id, limit=limit
    )
    return [public(ResidentPrivate, r) for r in rows]


@router.post("", response_model=ResidentPrivate, status_code=201)
def create_resident(body: ResidentCreate, session: SessionDep, principal: Staff) -> ResidentPrivate:
    """Register a resident in one of the caller's areas."""
    if not principal.is_admin and not principal.sees_area(body.area_id):
        raise forbidden()
    return public(ResidentPrivate, registration.register_resident(session, data=body))


@router.get("/{resident_id}", response_model=ResidentPrivate)
def get_resident(
    resident_id: PathId, session: SessionDep, principal: AnyPrincipal
) -> ResidentPrivate:
    """A resident with private details, for those allowed to see them (404 otherwise)."""
    return public(ResidentPrivate, _visible(session, principal, resident_id))


@router.patch("/{resident_id}", response_model=ResidentPrivate)
def update_resident(
    resident_id: PathId, body: ResidentUpdate, session: SessionDep, principal: AnyPrincipal
) -> ResidentPrivate:
    """Change a resident: staff of the area, or the resident themself."""
    _visible(session, principal, resident_id)
    if principal.role == Role.volunteer:
        raise forbidden()
    moved = body.model_dump(exclude_unset=True).get("area_id")
    if principal.is_coordinator and moved is not None and not principal.sees_area(moved):
        raise forbidden()
    resident = profiles.update_resident(session, resident_id=resident_id, data=body)
    return public(ResidentPrivate, resident)


@router.delete("/{resident_id}", response_model=DeletedOut)
def delete_resident(resident_id: PathId, session: SessionDep, principal: Staff) -> DeletedOut:
    """Delete a resident; one with requests is kept but their personal details are erased."""
    _visible(session, principal, resident_id)
    deleted = profiles.delete_resident(session, resident_id=resident_id)
    return DeletedOut(id=resident_id, deleted=deleted)
