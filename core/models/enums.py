"""Stable ids of the domain (DESIGN.md): categories, urgency, lifecycle, roles, modes."""

from __future__ import annotations

from enum import StrEnum


class Category(StrEnum):
    escort = "escort"
    reading = "reading"
    sign_language = "sign_language"
    daily_living = "daily_living"
    errands = "errands"
    health = "health"
    repair = "repair"
    legal = "legal"
    employment = "employment"
    education = "education"
    companionship = "companionship"
    digital = "digital"
    accessibility = "accessibility"
    culture_sports = "culture_sports"
    emergency = "emergency"
    other = "other"


class Urgency(StrEnum):
    emergency = "emergency"
    urgent = "urgent"
    normal = "normal"
    flexible = "flexible"


class RequestStatus(StrEnum):
    new = "new"
    classified = "classified"
    needs_clarification = "needs_clarification"
    offered = "offered"
    accepted = "accepted"
    in_progress = "in_progress"
    done = "done"
    confirmed = "confirmed"
    disputed = "disputed"
    unassigned = "unassigned"
    cancelled = "cancelled"


OPEN_STATUSES: frozenset[str] = frozenset(
    {
        RequestStatus.new,
        RequestStatus.classified,
        RequestStatus.needs_clarification,
        RequestStatus.offered,
        RequestStatus.accepted,
        RequestStatus.in_progress,
        RequestStatus.unassigned,
    }
)


class OfferState(StrEnum):
    pending = "pending"
    accepted = "accepted"
    declined = "declined"
    expired = "expired"
    withdrawn = "withdrawn"


class AreaLevel(StrEnum):
    city = "city"
    district = "district"
    street = "street"
    community = "community"


class TeamRole(StrEnum):
    leader = "leader"
    member = "member"


class Disability(StrEnum):
    visual = "visual"
    low_vision = "low_vision"
    hearing = "hearing"
    speech = "speech"
    physical = "physical"
    intellectual = "intellectual"
    psychosocial = "psychosocial"
    multiple = "multiple"


class Mode(StrEnum):
    text = "text"
    voice = "voice"
    large_text = "large_text"
    easy_read = "easy_read"


class Role(StrEnum):
    admin = "admin"
    coordinator = "coordinator"
    volunteer = "volunteer"
    resident = "resident"


class Channel(StrEnum):
    telegram = "telegram"
    web = "web"
    api = "api"


class Lang(StrEnum):
    zh = "zh"
    en = "en"
