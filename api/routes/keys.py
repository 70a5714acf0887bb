"""API keys (admin only): create (the secret is shown once), list, revoke."""

from __future__ import annotations

from fastapi import APIRouter, Request

from api.deps import Admin, SessionDep
from api.render import public
from api.routes.common import ERRORS, PathId
from api.schemas import KeyCreatedOut, KeyIn
from core.models import ApiKeyPublic
from core.services import apikeys

router = APIRouter(prefix="/api/v1/keys", tags=["keys"], responses=ERRORS)


@router.post("", response_model=KeyCreatedOut, status_code=201)
def create_key(body: KeyIn, session: SessionDep, principal: Admin) -> KeyCreatedOut:
    """A new key; copy `key` now, it is never shown again."""
    key, token = apikeys.create_key(
        session, role=body.role, area_ids=list(body.area_ids), subject_id=body.subject_id,
        name=body.name,
    )
    return KeyCreatedOut(**public(ApiKeyPublic, key).model_dump(), key=token)


@router.get("", response_model=list[ApiKeyPublic])
def list_keys(session: SessionDep, principal: Admin) -> list[ApiKeyPublic]:
    """Every key, revoked ones included (never the secrets)."""
    return [public(ApiKeyPublic, k) for k in apikeys.list_keys(session)]


@router.delete("/{key_id}", response_model=ApiKeyPublic)
def revoke_key(
    key_id: PathId, request: Request, session: SessionDep, principal: Admin
) -> ApiKeyPublic:
    """Revoke a key; it stops working at once in this process."""
    key = apikeys.revoke_key(session, key_id=key_id)
    request.app.state.principals.clear()
    return public(ApiKeyPublic, key)
