"""Listing residents and volunteers within an area scope, who may see whom, deleting volunteers."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, col, select

from core.exceptions import NotAllowed, NotFound
from core.models import (
    HelpRequest,
    Offer,
    PairSchedule,
    Resident,
    Role,
    ServiceRecord,
    TeamMember,
    Volunteer,
)
from core.services.apikeys import Principal


def list_residents(
    session: Session,
    *,
    area_scope: frozenset[int] | None = None,
    area_id: int | None = None,
    after_id: int = 0,
    limit: int = 50,
) -> list[Resident]:
    """Residents by id after after_id, limited to area_scope (None: everyone)."""
    query = select(Resident).where(col(Resident.id) > after_id)
    if area_scope is not None:
        if not area_scope:
            return []
        query = query.where(col(Resident.area_id).in_(sorted(area_scope)))
    if area_id is not None:
        query = query.where(Resident.area_id == area_id)
    return list(session.exec(query.order_by(col(Resident.id)).limit(limit)).all())


def list_volunteers(
    session: Session,
    *,
    area_scope: frozenset[int] | None = None,
    on_duty: bool | None = None,
    after_id: int = 0,
    limit: int = 50,
) -> list[Volunteer]:
    """Volunteers by id after after_id whose home area is in area_scope (None: everyone)."""
    query = select(Volunteer).where(col(Volunteer.id) > after_id)
    if area_scope is not None:
        if not area_scope:
            return []
        query = query.where(col(Volunteer.home_area_id).in_(sorted(area_scope)))
    if on_duty is not None:
        query = query.where(Volunteer.on_duty == on_duty)
    return list(session.exec(query.order_by(col(Volunteer.id)).limit(limit)).all())


def volunteer_serves(session: Session, *, volunteer_id: int, resident_id: int) -> bool:
    """Whether the volunteer has accepted a request of this resident (or is paired with them)."""
    held = session.exec(
        select(func.count())
        .select_from(HelpRequest)
        .where(HelpRequest.resident_id == resident_id, HelpRequest.volunteer_id == volunteer_id)
    ).one()
    if held:
        return True
    resident = session.get(Resident, resident_id)
    return resident is not None and resident.paired_volunteer_id == volunteer_id


def can_see_resident(session: Session, principal: Principal, resident: Resident) -> bool:
    """A resident's private details: staff of the area, the resident, their volunteer."""
    if principal.role in (Role.admin, Role.coordinator):
        return principal.sees_area(resident.area_id)
    if principal.role == Role.resident:
        return resident.id == principal.subject_id
    if principal.role == Role.volunteer and principal.subject_id is not None:
        return volunteer_serves(
            session, volunteer_id=principal.subject_id, resident_id=resident.id or 0
        )
    return False


def can_see_volunteer(principal: Principal, volunteer: Volunteer) -> bool:
    """A volunteer's full profile: admins, coordinators of the home area, the volunteer."""
    if principal.role in (Role.admin, Role.coordinator):
        return principal.sees_area(volunteer.home_area_id)
    if principal.role == Role.volunteer:
        return volunteer.id == principal.subject_id
    return False


def delete_volunteer(session: Session, *, volunteer_id: int) -> None:
    """Remove a volunteer with no history; NotAllowed (uses=[…]) when requests or hours exist."""
    volunteer = session.get(Volunteer, volunteer_id)
    if volunteer is None:
        raise NotFound("volunteer not found", volunteer_id=volunteer_id)
    uses = []
    for label, model, column in (
        ("offers", Offer, Offer.volunteer_id),
        ("requests", HelpRequest, HelpRequest.volunteer_id),
        ("ledger", ServiceRecord, ServiceRecord.volunteer_id),
        ("pairs", PairSchedule, PairSchedule.volunteer_id),
        ("residents", Resident, Resident.paired_volunteer_id),
    ):
        count = session.exec(
            select(func.count()).select_from(model).where(column == volunteer_id)
        ).one()
        if count:
            uses.append(label)
    if uses:
        raise NotAllowed(f"volunteer {volunteer_id} has history", uses=uses)
    for member in session.exec(select(TeamMember).where(TeamMember.volunteer_id == volunteer_id)):
        session.delete(member)
    session.flush()
    session.delete(volunteer)
    session.commit()
