"""One request with its offers, events and feedback, for the API, the bot and coordinators."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlmodel import Session

from core.dispatch.common import get_request
from core.models import Event, Feedback, HelpRequest, Offer


@dataclass
class RequestDetail:
    """A request, its offers (oldest first), its event log and its feedback if any."""

    request: HelpRequest
    offers: list[Offer] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    feedback: Feedback | None = None


def get_request_detail(session: Session, *, request_id: int) -> RequestDetail:
    """The request with its offers and events (raises NotFound)."""
    req = get_request(session, request_id)
    offers = list(
        session.scalars(select(Offer).where(Offer.request_id == request_id).order_by(Offer.id))
    )
    events = list(
        session.scalars(select(Event).where(Event.request_id == request_id).order_by(Event.id))
    )
    feedback = session.scalars(select(Feedback).where(Feedback.request_id == request_id)).first()
    return RequestDetail(request=req, offers=offers, events=events, feedback=feedback)
