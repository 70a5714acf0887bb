"""Turning core rows into API response bodies (timestamps always UTC-aware)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import BaseModel

from api.schemas import OfferBrief, RequestOut
from core.models import EventPublic, HelpRequestPublic, ResidentPrivate, ResidentPublic
from core.services.apikeys import Principal
from core.services.crud_requests import RequestView, sees_private, visible_offers

M = TypeVar("M", bound=BaseModel)


def utc(value: Any) -> Any:
    """SQLite returns naive timestamps; every stored one is UTC."""
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _utc_dict(data: dict[str, Any]) -> dict[str, Any]:
    return {k: utc(v) for k, v in data.items()}


def public(model: type[M], row: Any) -> M:
    """A response model of a table row, its timestamps made UTC-aware."""
    return model(**_utc_dict(model.model_validate(row).model_dump()))


def request_out(view: RequestView, principal: Principal) -> RequestOut:
    """The request as this caller may see it."""
    data = _utc_dict(HelpRequestPublic.model_validate(view.request).model_dump())
    offers = [
        OfferBrief(
            id=o.id or 0, volunteer_id=o.volunteer_id, team_id=o.team_id, ring=o.ring,
            state=o.state, deadline=utc(o.deadline),
        )
        for o in visible_offers(principal, view)
    ]
    events = [EventPublic(**_utc_dict(EventPublic.model_validate(e).model_dump()))
              for e in view.events]
    resident: ResidentPrivate | ResidentPublic | None = None
    if view.resident is not None:
        model = ResidentPrivate if sees_private(principal, view) else ResidentPublic
        resident = model(**_utc_dict(model.model_validate(view.resident).model_dump()))
    return RequestOut(**data, offers=offers, events=events, resident=resident)
