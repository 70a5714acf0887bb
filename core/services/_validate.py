"""Shared input checks of the registration and profile services (raise InvalidInput)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, TypeVar

from sqlmodel import Session, SQLModel, select

from core.exceptions import InvalidInput, NotFound
from core.models import Area, Category, Disability, Lang, Mode, Volunteer
from core.skills import known_skill

T = TypeVar("T", bound=SQLModel)

LANGS: frozenset[str] = frozenset(lang.value for lang in Lang)
DISABILITIES: frozenset[str] = frozenset(d.value for d in Disability)
MODES: frozenset[str] = frozenset(m.value for m in Mode)
CATEGORIES: frozenset[str] = frozenset(c.value for c in Category)
_PHONE = re.compile(r"^\+?[0-9][0-9 ()\-]{4,30}$")
_HHMM = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")


def invalid(message: str, key: str, **values: Any) -> InvalidInput:
    """An InvalidInput whose prompt_key names the exact problem (texts in profile.toml)."""
    err = InvalidInput(message, detail=message, **values)
    # The instance key is more precise than the generic class one; adapters read err.prompt_key.
    err.prompt_key = key
    return err


def get_or_404(session: Session, model: type[T], row_id: int | None, kind: str) -> T:
    """The row with that primary key, or NotFound."""
    row = session.get(model, row_id) if row_id is not None else None
    if row is None:
        raise NotFound(f"{kind} {row_id} not found", kind=kind, id=row_id)
    return row


def name(value: str | None, *, field: str = "name") -> str:
    """A trimmed, non-empty name of at most 100 characters."""
    text = (value or "").strip()
    if not text or len(text) > 100:
        raise invalid(f"{field} must be 1 to 100 characters", "profile.invalid.name", field=field)
    return text


def lang(value: str | None) -> str:
    """One language id of {zh, en}."""
    if value not in LANGS:
        raise invalid(f"unknown language {value!r} (zh or en)", "profile.invalid.lang", value=value)
    return value


def languages(values: Iterable[str]) -> list[str]:
    """A non-empty list of distinct language ids, order kept."""
    out = list(dict.fromkeys(values))
    if not out:
        raise invalid("at least one language is needed", "profile.invalid.lang", value="")
    for value in out:
        lang(value)
    return out


def disabilities(values: Iterable[str]) -> list[str]:
    """Distinct disability types, each one of the Disability enum."""
    out = list(dict.fromkeys(values))
    for value in out:
        if value not in DISABILITIES:
            raise invalid(
                f"unknown disability type {value!r}", "profile.invalid.disability", value=value
            )
    return out


def mode(value: str | None) -> str:
    """One interaction mode of the Mode enum."""
    if value not in MODES:
        raise invalid(f"unknown mode {value!r}", "profile.invalid.mode", value=value)
    return value


def skills(values: Iterable[str]) -> list[str]:
    """Distinct skill ids from core.skills.SKILLS."""
    out = list(dict.fromkeys(values))
    for value in out:
        if not known_skill(value):
            raise invalid(f"unknown skill {value!r}", "profile.invalid.skill", value=value)
    return out


def categories(values: Iterable[str]) -> list[str]:
    """Distinct category ids of the Category enum."""
    out = list(dict.fromkeys(values))
    for value in out:
        if value not in CATEGORIES:
            raise invalid(f"unknown category {value!r}", "profile.invalid.category", value=value)
    return out


def phone(value: str | None) -> str | None:
    """A plausible phone number (digits, spaces, dashes, brackets, leading +) or None."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if not _PHONE.match(text):
        raise invalid(f"not a phone number: {value!r}", "profile.invalid.phone", value=value)
    return text


def hhmm(value: str, *, field: str) -> str:
    """A 24-hour clock time 'HH:MM'."""
    if not _HHMM.match(value or ""):
        raise invalid(f"{field} must look like 08:30", "profile.invalid.time", field=field)
    return value


def positive(value: int, *, field: str) -> int:
    """An integer of at least 1."""
    if value < 1:
        raise invalid(f"{field} must be at least 1", "profile.invalid.number", field=field)
    return value


def area_exists(session: Session, area_id: int | None, *, field: str = "area_id") -> int | None:
    """The area id when it is None or an existing area."""
    if area_id is not None and session.get(Area, area_id) is None:
        raise invalid(f"{field}: no area {area_id}", "profile.invalid.area", value=area_id)
    return area_id


def areas_exist(session: Session, area_ids: Iterable[int]) -> list[int]:
    """Distinct existing area ids."""
    out = list(dict.fromkeys(area_ids))
    if out:
        found = set(session.exec(select(Area.id).where(Area.id.in_(out))).all())  # type: ignore[union-attr]
        for area_id in out:
            if area_id not in found:
                raise invalid(f"no area {area_id}", "profile.invalid.area", value=area_id)
    return out


def volunteer_exists(session: Session, volunteer_id: int | None) -> int | None:
    """The volunteer id when it is None or an existing volunteer."""
    if volunteer_id is not None and session.get(Volunteer, volunteer_id) is None:
        raise invalid(
            f"no volunteer {volunteer_id}", "profile.invalid.volunteer", value=volunteer_id
        )
    return volunteer_id


def code(value: str | None) -> str | None:
    """A stable code: 1–64 of letters, digits, '-', '_', '.', ':' (or None)."""
    if value is None:
        return None
    if not re.fullmatch(r"[A-Za-z0-9_.:\-]{1,64}", value):
        raise invalid(f"bad code {value!r}", "profile.invalid.code", value=value)
    return value
