"""The outbox (claim with a lease, sent, failed and retried, no duplicates) and 一助一 visits."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlmodel import Session

from core import dispatch
from core.dispatch.outbox import LEASE_S, notify
from core.models import HelpRequest, Notification, Offer, PairSchedule
from core.settings import Settings
from tests.core.dispatch.factories import make_pair, small_world

NOW = datetime(2026, 5, 4, 2, 0, tzinfo=UTC)


def test_dedupe_key_never_duplicates(session: Session) -> None:
    small_world(session)
    for _ in range(3):
        notify(session, recipient_kind="resident", recipient_id=1, key="dispatch.resident.thanks",
               dedupe_key="same", now=NOW)
    session.commit()
    assert session.scalar(select(func.count()).select_from(Notification)) == 1


def test_claim_lease_sent_failed(session: Session, sessions: Callable[[], Session]) -> None:
    w = small_world(session)
    w.residents["blind"].telegram_id = 555
    session.add(w.residents["blind"])
    for i in range(3):
        notify(session, recipient_kind="resident", recipient_id=w.residents["blind"].id,
               key="dispatch.resident.thanks", dedupe_key=f"n{i}", now=NOW)
    notify(session, recipient_kind="volunteer", recipient_id=w.volunteers["k1a"].id,
           key="offer.taken", dedupe_key="v", now=NOW)
    session.commit()
    with sessions() as other:
        first = dispatch.claim_notifications(other, now=NOW, limit=2, kinds=["resident"])
    with sessions() as other:
        second = dispatch.claim_notifications(other, now=NOW, limit=10, kinds=["resident"])
    assert len(first) == 2 and len(second) == 1
    assert not {n.id for n in first} & {n.id for n in second}
    # Telegram sender: only recipients with a Telegram id (the volunteer has none).
    assert dispatch.claim_notifications(session, now=NOW, channel="telegram") == []
    dispatch.mark_sent(session, notification_id=first[0].id, channel_ref="tg:1", now=NOW)
    dispatch.mark_failed(session, notification_id=first[1].id, error="timeout",
                         retry_at=NOW + timedelta(seconds=30))
    assert dispatch.claim_notifications(session, now=NOW + timedelta(seconds=10),
                                        kinds=["resident"]) == []
    again = dispatch.claim_notifications(session, now=NOW + timedelta(seconds=31),
                                         kinds=["resident"])
    assert [n.id for n in again] == [first[1].id] and again[0].attempts == 2
    # The crashed sender's lease on `second` ran out: the row comes back, once.
    later = NOW + timedelta(seconds=LEASE_S + 1)
    back = dispatch.claim_notifications(session, now=later, kinds=["resident"])
    assert {n.id for n in back} == {second[0].id}
    assert session.get(Notification, first[0].id).status == "sent"


def test_pair_visit_created_once_and_offered_to_partner(
    session: Session, sessions: Callable[[], Session], settings: Settings
) -> None:
    w = small_world(session)
    partner = w.volunteers["d1a"]
    pair = make_pair(session, w.residents["blind"], partner, category="companionship",
                     text="weekly chat", every_days=7, next_at=NOW)
    session.commit()
    assert dispatch.process_due(sessions, settings=settings, now=NOW + timedelta(hours=1)) == 1
    assert dispatch.process_due(sessions, settings=settings, now=NOW + timedelta(hours=2)) == 0
    req = session.scalars(select(HelpRequest).where(HelpRequest.pair_id == pair.id)).one()
    assert req.status == "offered" and req.routing["candidates"][0]["kind"] == "paired"
    offers = session.scalars(select(Offer.volunteer_id).where(Offer.request_id == req.id)).all()
    assert offers == [partner.id]
    session.expire_all()
    next_at = session.get(PairSchedule, pair.id).next_at.replace(tzinfo=UTC)
    assert next_at == NOW + timedelta(days=7)
