"""Registering residents, volunteers, carers and coordinators."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, SQLModel, select

from core.exceptions import AlreadyExists, NotFound
from core.models import (
    Carer,
    CarerLink,
    Coordinator,
    Resident,
    ResidentCreate,
    Volunteer,
    VolunteerCreate,
)
from core.services import _validate as v

RELATIONS: tuple[str, ...] = (
    "family",
    "parent",
    "child",
    "spouse",
    "sibling",
    "guardian",
    "carer",
    "friend",
    "other",
)


def _now(now: datetime | None) -> datetime:
    return now if now is not None else datetime.now(UTC)


def ensure_free(session: Session, model: type[SQLModel], field: str, value: Any) -> None:
    """AlreadyExists when another row of model already has that unique value."""
    if value is None:
        return
    column = getattr(model, field)
    if session.exec(select(model).where(column == value)).first() is not None:
        raise AlreadyExists(
            f"{model.__name__.lower()} with {field}={value!r} exists",
            kind=model.__name__.lower(),
            field=field,
        )


def register_resident(
    session: Session, *, data: ResidentCreate, code: str | None = None, now: datetime | None = None
) -> Resident:
    """A new resident; consent=True records consent_at (now)."""
    ensure_free(session, Resident, "telegram_id", data.telegram_id)
    ensure_free(session, Resident, "web_id", data.web_id)
    ensure_free(session, Resident, "code", v.code(code))
    resident = Resident(
        code=code,
        name=v.name(data.name),
        lang=v.lang(data.lang),
        disability_types=v.disabilities(data.disability_types),
        mode=v.mode(data.mode),
        area_id=v.area_exists(session, data.area_id),
        address=(data.address or "").strip() or None,
        phone=v.phone(data.phone),
        emergency_contact=(data.emergency_contact or "").strip() or None,
        paired_volunteer_id=v.volunteer_exists(session, data.paired_volunteer_id),
        timezone=data.timezone,
        telegram_id=data.telegram_id,
        web_id=data.web_id,
        consent_at=_now(now) if data.consent else None,
        created_at=_now(now),
    )
    session.add(resident)
    session.commit()
    session.refresh(resident)
    return resident


def register_volunteer(
    session: Session, *, data: VolunteerCreate, code: str | None = None
) -> Volunteer:
    """A new volunteer with checked languages, skills and areas."""
    ensure_free(session, Volunteer, "telegram_id", data.telegram_id)
    ensure_free(session, Volunteer, "code", v.code(code))
    volunteer = Volunteer(
        code=code,
        name=v.name(data.name),
        name_en=(data.name_en or "").strip() or None,
        phone=v.phone(data.phone),
        languages=v.languages(data.languages),
        skills=v.skills(data.skills),
        home_area_id=v.area_exists(session, data.home_area_id, field="home_area_id"),
        service_area_ids=v.areas_exist(session, data.service_area_ids),
        on_duty=data.on_duty,
        max_tasks=v.positive(data.max_tasks, field="max_tasks"),
        telegram_id=data.telegram_id,
    )
    session.add(volunteer)
    session.commit()
    session.refresh(volunteer)
    return volunteer


def register_carer(
    session: Session,
    *,
    name: str,
    lang: str = "zh",
    phone: str | None = None,
    telegram_id: int | None = None,
    web_id: str | None = None,
) -> Carer:
    """A new family member or carer (link them to residents with link_carer)."""
    ensure_free(session, Carer, "telegram_id", telegram_id)
    ensure_free(session, Carer, "web_id", web_id)
    carer = Carer(
        name=v.name(name),
        lang=v.lang(lang),
        phone=v.phone(phone),
        telegram_id=telegram_id,
        web_id=web_id,
    )
    session.add(carer)
    session.commit()
    session.refresh(carer)
    return carer


def link_carer(
    session: Session, *, carer_id: int, resident_id: int, relation: str = "family"
) -> CarerLink:
    """Let a carer act for a resident (linking again only changes the relation)."""
    v.get_or_404(session, Carer, carer_id, "carer")
    v.get_or_404(session, Resident, resident_id, "resident")
    if relation not in RELATIONS:
        raise v.invalid(f"unknown relation {relation!r}", "profile.invalid.relation",
                        value=relation)
    link = session.get(CarerLink, (carer_id, resident_id))
    if link is None:
        link = CarerLink(carer_id=carer_id, resident_id=resident_id, relation=relation)
    link.relation = relation
    session.add(link)
    session.commit()
    session.refresh(link)
    return link


def unlink_carer(session: Session, *, carer_id: int, resident_id: int) -> None:
    """Stop a carer acting for a resident; NotFound when they were not linked."""
    link = session.get(CarerLink, (carer_id, resident_id))
    if link is None:
        raise NotFound(
            f"carer {carer_id} is not linked to resident {resident_id}", kind="carer_link"
        )
    session.delete(link)
    session.commit()


def register_coordinator(
    session: Session,
    *,
    name: str,
    area_id: int,
    lang: str = "zh",
    telegram_id: int | None = None,
    code: str | None = None,
) -> Coordinator:
    """A coordinator of one area (and everything below it)."""
    ensure_free(session, Coordinator, "telegram_id", telegram_id)
    ensure_free(session, Coordinator, "code", v.code(code))
    if v.area_exists(session, area_id) is None:
        raise v.invalid("a coordinator needs an area", "profile.invalid.area", value=None)
    coordinator = Coordinator(
        code=code, name=v.name(name), lang=v.lang(lang), area_id=area_id, telegram_id=telegram_id
    )
    session.add(coordinator)
    session.commit()
    session.refresh(coordinator)
    return coordinator
