"""Who is this chat user? Telegram and web identities mapped to people rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel import Session, select

from core.models import Carer, Coordinator, Resident, Volunteer
from core.services import _validate as v


@dataclass(frozen=True)
class IdentityMatch:
    """Every row one chat account belongs to (one person can be several things)."""

    resident: Resident | None = None
    volunteer: Volunteer | None = None
    carer: Carer | None = None
    coordinator: Coordinator | None = None

    @property
    def roles(self) -> list[str]:
        """'resident', 'volunteer', 'carer', 'coordinator' for the rows found, in that order."""
        pairs = [
            ("resident", self.resident),
            ("volunteer", self.volunteer),
            ("carer", self.carer),
            ("coordinator", self.coordinator),
        ]
        return [role for role, row in pairs if row is not None]

    @property
    def known(self) -> bool:
        """Whether any row was found."""
        return bool(self.roles)

    @property
    def lang(self) -> str | None:
        """The language of the resident, carer or coordinator row, else the volunteer's first."""
        for row in (self.resident, self.carer, self.coordinator):
            if row is not None:
                return row.lang
        if self.volunteer is not None and self.volunteer.languages:
            return self.volunteer.languages[0]
        return None


def find_by_telegram(session: Session, *, telegram_id: int) -> IdentityMatch:
    """The resident/volunteer/carer/coordinator rows of one Telegram user."""
    return IdentityMatch(
        resident=session.exec(select(Resident).where(Resident.telegram_id == telegram_id)).first(),
        volunteer=session.exec(
            select(Volunteer).where(Volunteer.telegram_id == telegram_id)
        ).first(),
        carer=session.exec(select(Carer).where(Carer.telegram_id == telegram_id)).first(),
        coordinator=session.exec(
            select(Coordinator).where(Coordinator.telegram_id == telegram_id)
        ).first(),
    )


def find_by_web(session: Session, *, web_id: str) -> IdentityMatch:
    """The resident/carer rows of one web-chat visitor."""
    return IdentityMatch(
        resident=session.exec(select(Resident).where(Resident.web_id == web_id)).first(),
        carer=session.exec(select(Carer).where(Carer.web_id == web_id)).first(),
    )


def get_or_create_web_resident(
    session: Session, *, web_id: str, lang: str = "zh", now: datetime | None = None
) -> Resident:
    """The resident of a web-chat visitor, created (no name, no consent yet) on first visit."""
    web_id = (web_id or "").strip()
    if not web_id or len(web_id) > 64:
        raise v.invalid("web_id must be 1 to 64 characters", "profile.invalid.web_id")
    existing = session.exec(select(Resident).where(Resident.web_id == web_id)).first()
    if existing is not None:
        return existing
    # The dialog asks for the name and consent during onboarding.
    resident = Resident(
        name="", lang=v.lang(lang), web_id=web_id, created_at=now or datetime.now(UTC)
    )
    session.add(resident)
    session.commit()
    session.refresh(resident)
    return resident


def link_telegram(
    session: Session, *, kind: str, row_id: int, telegram_id: int
) -> Resident | Volunteer | Carer | Coordinator:
    """Attach a Telegram account to an existing resident/volunteer/carer/coordinator row."""
    from core.services.registration import ensure_free

    models: dict[str, type[Resident] | type[Volunteer] | type[Carer] | type[Coordinator]] = {
        "resident": Resident,
        "volunteer": Volunteer,
        "carer": Carer,
        "coordinator": Coordinator,
    }
    if kind not in models:
        raise v.invalid(f"unknown kind {kind!r}", "profile.invalid.kind", value=kind)
    row = v.get_or_404(session, models[kind], row_id, kind)
    if row.telegram_id == telegram_id:
        return row
    ensure_free(session, models[kind], "telegram_id", telegram_id)
    row.telegram_id = telegram_id
    session.add(row)
    session.commit()
    session.refresh(row)
    return row
