"""The area tree: anyone with a key reads it, admins change it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import Admin, AnyPrincipal, SessionDep
from api.routes.common import ERRORS, PathId, QueryId
from api.schemas import DeletedOut
from core.models import AreaCreate, AreaLevel, AreaPublic, AreaUpdate
from core.services import areas

router = APIRouter(prefix="/api/v1/areas", tags=["areas"], responses=ERRORS)


@router.get("", response_model=list[AreaPublic])
def list_areas(
    session: SessionDep,
    principal: AnyPrincipal,
    parent_id: QueryId = None,
    level: Annotated[AreaLevel | None, Query()] = None,
) -> list[AreaPublic]:
    """Areas, optionally the children of one parent or one level only."""
    rows = areas.list_areas(session, parent_id=parent_id, level=level.value if level else None)
    return [AreaPublic.model_validate(a) for a in rows]


@router.get("/{area_id}", response_model=AreaPublic)
def get_area(area_id: PathId, session: SessionDep, principal: AnyPrincipal) -> AreaPublic:
    """One area."""
    return AreaPublic.model_validate(areas.get_area(session, area_id=area_id))


@router.post("", response_model=AreaPublic, status_code=201)
def create_area(body: AreaCreate, session: SessionDep, principal: Admin) -> AreaPublic:
    """Add an area under its parent."""
    return AreaPublic.model_validate(areas.create_area(session, data=body))


@router.patch("/{area_id}", response_model=AreaPublic)
def update_area(
    area_id: PathId, body: AreaUpdate, session: SessionDep, principal: Admin
) -> AreaPublic:
    """Rename an area or change its aliases."""
    return AreaPublic.model_validate(areas.update_area(session, area_id=area_id, data=body))


@router.delete("/{area_id}", response_model=DeletedOut)
def delete_area(area_id: PathId, session: SessionDep, principal: Admin) -> DeletedOut:
    """Remove an unused area (409 while anything refers to it)."""
    areas.delete_area(session, area_id=area_id)
    return DeletedOut(id=area_id, deleted=True)
