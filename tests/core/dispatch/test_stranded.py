"""A request stored but never classified (its process died between the two commits of
create_request) is finished by the worker, as the filer asked, exactly once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from core import dispatch
from core.dispatch.worker import STRANDED_AFTER_S
from core.models import Event, HelpRequest, Offer
from core.settings import Settings
from tests.core.dispatch.factories import small_world

NOW = datetime(2026, 5, 4, 2, 0, tzinfo=UTC)
LATER = NOW + timedelta(seconds=STRANDED_AFTER_S + 1)


def _left_new(session: Session, resident: Any, text: str, at: datetime,
              **asked: Any) -> int:
    """The rows a process leaves when it dies right after storing a request."""
    req = HelpRequest(resident_id=resident.id, text=text, area_id=resident.area_id,
                      channel="api", status="new", created_at=at, updated_at=at)
    session.add(req)
    session.flush()
    session.add(Event(request_id=req.id, at=at, kind="created", to_status="new",
                      actor=f"resident:{resident.id}", data={"channel": "api", **asked}))
    session.commit()
    return req.id or 0


def _status(sessions: Callable[[], Session], request_id: int) -> str:
    with sessions() as session:
        return session.get(HelpRequest, request_id).status


def test_worker_finishes_stranded_requests_once(
    session: Session, sessions: Callable[[], Session], settings: Settings
) -> None:
    w = small_world(session)
    resident = w.residents["blind"]
    text = "please go with me to the hospital tomorrow morning"
    api_filed = _left_new(session, resident, text, NOW, confirmed_by="coordinator:1")
    chat_filed = _left_new(session, resident, text, NOW)
    given = _left_new(session, resident, "x", NOW, category="reading",
                      confirmed_by="coordinator:1")
    fresh = _left_new(session, resident, text, LATER - timedelta(seconds=5),
                      confirmed_by="coordinator:1")

    assert dispatch.process_due(sessions, settings=settings, now=LATER) == 3
    # The API client asked for routing at once: offered, as the dead process would have.
    assert _status(sessions, api_filed) == "offered"
    with sessions() as s:
        assert s.scalars(select(Offer).where(Offer.request_id == api_filed)).first()
        kinds = s.scalars(select(Event.kind).where(Event.request_id == api_filed)
                          .order_by(Event.id)).all()
        assert kinds == ["created", "classified", "offered"]
        assert s.get(HelpRequest, given).category == "reading"
    # A chat request waits for the resident's read-back, as it always does.
    assert _status(sessions, chat_filed) == "classified"
    assert _status(sessions, given) == "offered"
    # Stored moments ago: its own process may still be classifying it.
    assert _status(sessions, fresh) == "new"
    assert dispatch.process_due(sessions, settings=settings, now=LATER) == 0
