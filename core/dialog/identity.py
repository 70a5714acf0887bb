"""Who is writing: the resident, volunteer, coordinator and carer rows behind a UserRef."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, select

from core.dialog.state import Conversation
from core.dialog.types import UserRef
from core.models import Carer, CarerLink, Coordinator, Resident, Volunteer


@dataclass
class Who:
    """Every role the person has (any may be None)."""

    resident: Resident | None = None
    volunteer: Volunteer | None = None
    coordinator: Coordinator | None = None
    carer: Carer | None = None
    carer_resident_ids: list[int] = field(default_factory=list)

    @property
    def roles(self) -> list[str]:
        """Role names, most specific first (used for command menus)."""
        out = []
        if self.coordinator:
            out.append("coordinator")
        if self.volunteer:
            out.append("volunteer")
        if self.carer:
            out.append("carer")
        if self.resident:
            out.append("resident")
        return out


def _telegram_id(user: UserRef) -> int | None:
    if user.channel != "telegram":
        return None
    try:
        return int(user.external_id)
    except ValueError:
        return None


def _by(session: Session, model: Any, column: Any, value: Any) -> Any:
    return session.exec(select(model).where(column == value)).first()


def find(session: Session, user: UserRef, conv: Conversation) -> Who:
    """Look the person up by channel id, then by links remembered in the conversation."""
    who = Who()
    tg = _telegram_id(user)
    if tg is not None:
        who.resident = _by(session, Resident, Resident.telegram_id, tg)
        who.volunteer = _by(session, Volunteer, Volunteer.telegram_id, tg)
        who.coordinator = _by(session, Coordinator, Coordinator.telegram_id, tg)
        who.carer = _by(session, Carer, Carer.telegram_id, tg)
    elif user.channel == "web":
        who.resident = _by(session, Resident, Resident.web_id, user.external_id)
        who.carer = _by(session, Carer, Carer.web_id, user.external_id)
    # Channels without an id column (web volunteers) are linked through the conversation.
    links = (
        ("resident", Resident, "resident_id"),
        ("volunteer", Volunteer, "volunteer_id"),
        ("coordinator", Coordinator, "coordinator_id"),
        ("carer", Carer, "carer_id"),
    )
    for attr, model, key in links:
        if getattr(who, attr) is None and conv.data.get(key):
            setattr(who, attr, session.get(model, int(conv.data[key])))
    if who.carer is not None:
        rows = session.exec(select(CarerLink).where(CarerLink.carer_id == who.carer.id)).all()
        who.carer_resident_ids = [row.resident_id for row in rows]
    return who


def new_resident(session: Session, user: UserRef, lang: str) -> Resident:
    """A resident profile for a new person on this channel (details come in onboarding)."""
    resident = Resident(name=(user.name or "")[:100] or user.external_id[:100], lang=lang)
    tg = _telegram_id(user)
    if tg is not None:
        resident.telegram_id = tg
    elif user.channel == "web":
        resident.web_id = user.external_id[:64]
    session.add(resident)
    session.flush()
    return resident


def attach_link(conv: Conversation, who: Who, user: UserRef) -> None:
    """Remember role ids in the conversation where the channel has no id column."""
    if _telegram_id(user) is not None:
        return
    if who.volunteer is not None:
        conv.data["volunteer_id"] = who.volunteer.id
    if who.coordinator is not None:
        conv.data["coordinator_id"] = who.coordinator.id
