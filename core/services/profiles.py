"""Reading and changing resident and volunteer profiles; consent and forgetting."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from core.exceptions import ConsentRequired
from core.models import (
    Carer,
    CarerLink,
    HelpRequest,
    PairSchedule,
    Resident,
    ResidentUpdate,
    Volunteer,
    VolunteerUpdate,
)
from core.services import _validate as v


def get_resident(session: Session, *, resident_id: int) -> Resident:
    """One resident, or NotFound."""
    return v.get_or_404(session, Resident, resident_id, "resident")


def update_resident(session: Session, *, resident_id: int, data: ResidentUpdate) -> Resident:
    """Change the fields given in data (each checked)."""
    resident = get_resident(session, resident_id=resident_id)
    given = data.model_dump(exclude_unset=True)
    checks = {
        "name": lambda x: v.name(x),
        "lang": v.lang,
        "disability_types": lambda x: v.disabilities(x or []),
        "mode": v.mode,
        "area_id": lambda x: v.area_exists(session, x),
        "address": lambda x: (x or "").strip() or None,
        "phone": v.phone,
        "emergency_contact": lambda x: (x or "").strip() or None,
        "paired_volunteer_id": lambda x: v.volunteer_exists(session, x),
    }
    for field, value in given.items():
        setattr(resident, field, checks[field](value))
    session.add(resident)
    session.commit()
    session.refresh(resident)
    return resident


def get_volunteer(session: Session, *, volunteer_id: int) -> Volunteer:
    """One volunteer, or NotFound."""
    return v.get_or_404(session, Volunteer, volunteer_id, "volunteer")


def update_volunteer(session: Session, *, volunteer_id: int, data: VolunteerUpdate) -> Volunteer:
    """Change the fields given in data (each checked)."""
    volunteer = get_volunteer(session, volunteer_id=volunteer_id)
    given = data.model_dump(exclude_unset=True)
    checks = {
        "name": lambda x: v.name(x),
        "phone": v.phone,
        "languages": lambda x: v.languages(x or []),
        "skills": lambda x: v.skills(x or []),
        "home_area_id": lambda x: v.area_exists(session, x, field="home_area_id"),
        "service_area_ids": lambda x: v.areas_exist(session, x or []),
        "on_duty": bool,
        "max_tasks": lambda x: v.positive(int(x or 0), field="max_tasks"),
    }
    for field, value in given.items():
        setattr(volunteer, field, checks[field](value))
    session.add(volunteer)
    session.commit()
    session.refresh(volunteer)
    return volunteer


def set_on_duty(session: Session, *, volunteer_id: int, on_duty: bool) -> Volunteer:
    """Put a volunteer on or off duty."""
    volunteer = get_volunteer(session, volunteer_id=volunteer_id)
    volunteer.on_duty = on_duty
    session.add(volunteer)
    session.commit()
    session.refresh(volunteer)
    return volunteer


def give_consent(session: Session, *, resident_id: int, now: datetime | None = None) -> Resident:
    """Record that the resident agreed to how their details are used (first time kept)."""
    resident = get_resident(session, resident_id=resident_id)
    if resident.consent_at is None:
        resident.consent_at = now if now is not None else datetime.now(UTC)
        session.add(resident)
        session.commit()
        session.refresh(resident)
    return resident


def require_consent(session: Session, *, resident_id: int) -> Resident:
    """The resident, or ConsentRequired when they have not agreed yet."""
    resident = get_resident(session, resident_id=resident_id)
    if resident.consent_at is None:
        raise ConsentRequired(f"resident {resident_id} has not given consent",
                              resident_id=resident_id)
    return resident


def residents_for_carer(session: Session, *, carer_id: int) -> list[Resident]:
    """The residents a carer may act for, by id."""
    v.get_or_404(session, Carer, carer_id, "carer")
    query = (
        select(Resident)
        .join(CarerLink, col(CarerLink.resident_id) == col(Resident.id))
        .where(CarerLink.carer_id == carer_id)
        .order_by(col(Resident.id))
    )
    return list(session.exec(query).all())


def forget_resident(session: Session, *, resident_id: int) -> Resident:
    """Erase a resident's personal details but keep the row, so request history stays whole."""
    resident = get_resident(session, resident_id=resident_id)
    resident.name = ""
    resident.address = None
    resident.phone = None
    resident.emergency_contact = None
    resident.disability_types = []
    resident.paired_volunteer_id = None
    resident.telegram_id = None  # the chat account no longer leads to this row
    resident.web_id = None
    resident.consent_at = None
    for link in session.exec(select(CarerLink).where(CarerLink.resident_id == resident_id)):
        session.delete(link)
    for pair in session.exec(select(PairSchedule).where(PairSchedule.resident_id == resident_id)):
        pair.active = False
        session.add(pair)
    session.add(resident)
    session.commit()
    session.refresh(resident)
    return resident


def delete_resident(session: Session, *, resident_id: int) -> bool:
    """Delete a resident without requests (True); with history, forget them instead (False)."""
    get_resident(session, resident_id=resident_id)
    has_history = session.exec(
        select(func.count()).select_from(HelpRequest).where(HelpRequest.resident_id == resident_id)
    ).one()
    if has_history:
        forget_resident(session, resident_id=resident_id)
        return False
    for link in session.exec(select(CarerLink).where(CarerLink.resident_id == resident_id)):
        session.delete(link)
    for pair in session.exec(select(PairSchedule).where(PairSchedule.resident_id == resident_id)):
        session.delete(pair)
    session.flush()
    resident = get_resident(session, resident_id=resident_id)
    session.delete(resident)
    session.commit()
    return True
