"""Who may see a help request, and the request as the API shows it (offers, events, resident)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session

from core.dispatch.detail import get_request_detail
from core.exceptions import NotFound
from core.models import Event, HelpRequest, Offer, Resident, Role
from core.services.apikeys import Principal


@dataclass
class RequestView:
    """A request with its offers (oldest first), events (in order) and resident."""

    request: HelpRequest
    offers: list[Offer] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    resident: Resident | None = None

    @property
    def area_id(self) -> int | None:
        """Where the request belongs: its own area, else the resident's home area."""
        if self.request.area_id is not None:
            return self.request.area_id
        return self.resident.area_id if self.resident is not None else None


def load_request(session: Session, *, request_id: int) -> RequestView:
    """The request with offers, events and resident; NotFound when absent."""
    detail = get_request_detail(session, request_id=request_id)
    resident = session.get(Resident, detail.request.resident_id)
    return RequestView(
        request=detail.request, offers=detail.offers, events=detail.events, resident=resident
    )


def request_for_offer(session: Session, *, offer_id: int) -> RequestView:
    """The request an offer belongs to; NotFound when the offer is absent."""
    offer = session.get(Offer, offer_id)
    if offer is None:
        raise NotFound("offer not found", offer_id=offer_id)
    return load_request(session, request_id=offer.request_id)


def can_see(principal: Principal, view: RequestView) -> bool:
    """Admins all; coordinators their areas; residents their own; volunteers theirs or offered."""
    if principal.role == Role.admin:
        return True
    if principal.role == Role.coordinator:
        return principal.sees_area(view.area_id)
    if principal.role == Role.resident:
        return view.request.resident_id == principal.subject_id
    if principal.role == Role.volunteer:
        if view.request.volunteer_id == principal.subject_id:
            return True
        return any(o.volunteer_id == principal.subject_id for o in view.offers)
    return False


def sees_private(principal: Principal, view: RequestView) -> bool:
    """Address, phone, disability: coordinators of the area, the resident, the accepted helper."""
    if principal.role in (Role.admin, Role.coordinator):
        return can_see(principal, view)
    if principal.role == Role.resident:
        return view.request.resident_id == principal.subject_id
    if principal.role == Role.volunteer:
        return (
            view.request.volunteer_id is not None
            and view.request.volunteer_id == principal.subject_id
        )
    return False


def can_manage(principal: Principal, view: RequestView) -> bool:
    """Coordinator actions (reassign, act on behalf): admins, coordinators of the area."""
    return principal.role == Role.admin or (
        principal.role == Role.coordinator and principal.sees_area(view.area_id)
    )


def visible_offers(principal: Principal, view: RequestView) -> list[Offer]:
    """Staff see every offer; a volunteer only their own; a resident only the accepted one."""
    if principal.role in (Role.admin, Role.coordinator):
        return view.offers
    if principal.role == Role.volunteer:
        return [o for o in view.offers if o.volunteer_id == principal.subject_id]
    return [o for o in view.offers if o.state == "accepted"]


def can_create_for(
    session: Session, principal: Principal, *, resident_id: int, area_id: int | None
) -> bool:
    """Whether the caller may file a request for this resident (NotFound: no such resident)."""
    resident = session.get(Resident, resident_id)
    if resident is None:
        raise NotFound("resident not found", resident_id=resident_id)
    if principal.role == Role.admin:
        return True
    if principal.role == Role.resident:
        return principal.subject_id == resident_id
    if principal.role == Role.coordinator:
        home_ok = principal.sees_area(resident.area_id)
        return home_ok and (area_id is None or principal.sees_area(area_id))
    return False
