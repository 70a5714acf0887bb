"""Offers: a volunteer accepts (first one wins, the others get 409) or declines."""

from __future__ import annotations

from fastapi import APIRouter
from sqlmodel import Session

from api.deps import AnyPrincipal, SessionDep, SettingsDep
from api.errors import forbidden, not_found
from api.render import request_out, utc
from api.routes.common import ERRORS, PathId
from api.schemas import AcceptIn, DeclineIn, OfferOut, RequestOut
from core import dispatch
from core.models import Role
from core.services import crud_requests
from core.services.apikeys import Principal

router = APIRouter(prefix="/api/v1/offers", tags=["offers"], responses=ERRORS)


def _check(session: Session, principal: Principal, offer_id: int, volunteer_id: int) -> None:
    """Volunteers answer their own offers; staff of the area may answer for them."""
    view = crud_requests.request_for_offer(session, offer_id=offer_id)
    if principal.role == Role.volunteer:
        if principal.subject_id != volunteer_id:
            raise forbidden()
        if not crud_requests.can_see(principal, view):
            raise not_found()
        return
    if principal.role == Role.resident:
        raise forbidden()
    if not crud_requests.can_manage(principal, view):
        raise not_found()


@router.post("/{offer_id}/accept", response_model=RequestOut)
def accept_offer(
    offer_id: PathId,
    body: AcceptIn,
    session: SessionDep,
    settings: SettingsDep,
    principal: AnyPrincipal,
) -> RequestOut:
    """Accept an offer: 200 with the request now accepted, or 409 when somebody was faster."""
    _check(session, principal, offer_id, body.volunteer_id)
    req = dispatch.accept_offer(
        session, settings=settings, offer_id=offer_id, volunteer_id=body.volunteer_id
    )
    return request_out(crud_requests.load_request(session, request_id=req.id or 0), principal)


@router.post("/{offer_id}/decline", response_model=OfferOut)
def decline_offer(
    offer_id: PathId,
    body: DeclineIn,
    session: SessionDep,
    settings: SettingsDep,
    principal: AnyPrincipal,
) -> OfferOut:
    """Decline an offer (the request moves on to the next volunteer in time)."""
    _check(session, principal, offer_id, body.volunteer_id)
    offer = dispatch.decline_offer(
        session, settings=settings, offer_id=offer_id, volunteer_id=body.volunteer_id,
        reason=body.reason,
    )
    view = crud_requests.load_request(session, request_id=offer.request_id)
    return OfferOut(
        id=offer.id or 0, request_id=offer.request_id, volunteer_id=offer.volunteer_id,
        state=offer.state, deadline=utc(offer.deadline), request_status=view.request.status,
    )
