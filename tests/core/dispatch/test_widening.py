"""Widening: on deadline or when a ring declines; last ring → unassigned; exactly once."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from sqlmodel import Session

from core import dispatch
from core.models import Event, HelpRequest, Notification, Offer
from core.settings import Settings
from tests.core.dispatch.factories import small_world

NOW = datetime(2026, 5, 4, 2, 0, tzinfo=UTC)
REPO = Path(__file__).resolve().parents[3]


def _offered(session: Session, settings: Settings, w, category: str = "escort") -> HelpRequest:
    resident = w.residents["blind"]
    req = dispatch.create_request(session, settings=settings, resident_id=resident.id,
                                  text="help", category=category, now=NOW)
    return dispatch.confirm_request(session, settings=settings, request_id=req.id,
                                    actor="system", now=NOW)


def _pending(session: Session, request_id: int) -> set[int]:
    return set(session.scalars(select(Offer.volunteer_id).where(
        Offer.request_id == request_id, Offer.state == "pending")))


def test_deadline_widens_to_next_ring_then_unassigned(
    session: Session, sessions: Callable[[], Session], settings: Settings
) -> None:
    w = small_world(session)
    req = _offered(session, settings, w)
    ring_teams = [c.get("team_id") for c in req.routing["candidates"]]
    # Nearest first: community, street, district (same district), then the other district.
    assert ring_teams[:3] == [w.teams["K1"].id, w.teams["S1"].id, w.teams["D1"].id]
    assert dispatch.process_due(sessions, settings=settings, now=NOW) == 0
    later = NOW + timedelta(seconds=settings.deadline_normal_s + 1)
    assert dispatch.process_due(sessions, settings=settings, now=later) == 1
    assert dispatch.process_due(sessions, settings=settings, now=later) == 0
    session.expire_all()
    req = session.get(HelpRequest, req.id)
    assert (req.status, req.ring, req.team_id) == ("offered", 1, w.teams["S1"].id)
    assert _pending(session, req.id) == {w.volunteers["s1a"].id, w.volunteers["s1b"].id}
    expired = session.scalars(select(Notification).where(
        Notification.key == "dispatch.volunteer.offer_expired")).all()
    assert {n.recipient_id for n in expired} == {w.volunteers["k1a"].id, w.volunteers["k1b"].id}
    moment = later
    for _ in range(len(req.routing["candidates"])):
        moment += timedelta(seconds=settings.deadline_normal_s + 1)
        dispatch.process_due(sessions, settings=settings, now=moment)
    session.expire_all()
    req = session.get(HelpRequest, req.id)
    assert req.status == "unassigned"
    alerted = session.scalars(select(Notification.recipient_id).where(
        Notification.key == "dispatch.coordinator.unassigned")).all()
    assert set(alerted) == {w.coordinators["C"].id, w.coordinators["D1"].id}
    assert session.scalars(select(Notification.key).where(
        Notification.recipient_kind == "resident",
        Notification.key == "dispatch.resident.unassigned")).all()


def test_all_declined_widens_at_once(session: Session, settings: Settings) -> None:
    w = small_world(session)
    req = _offered(session, settings, w)
    offers = list(session.scalars(select(Offer).where(Offer.request_id == req.id)))
    dispatch.decline_offer(session, settings=settings, offer_id=offers[0].id,
                           volunteer_id=offers[0].volunteer_id, reason="busy", now=NOW)
    session.expire_all()
    assert session.get(HelpRequest, req.id).ring == 0
    declined = dispatch.decline_offer(session, settings=settings, offer_id=offers[1].id,
                                      volunteer_id=offers[1].volunteer_id, now=NOW)
    assert declined.state == "declined"
    session.expire_all()
    req = session.get(HelpRequest, req.id)
    assert (req.status, req.ring) == ("offered", 1)
    assert _pending(session, req.id) == {w.volunteers["s1a"].id, w.volunteers["s1b"].id}


WORKER = """
import sys, time
from core import dispatch
from core.db import make_engine, session_factory
from core.settings import Settings
url, now = sys.argv[1], sys.argv[2]
from datetime import datetime
moment = datetime.fromisoformat(now)
settings = Settings(database_url=url)
sessions = session_factory(make_engine(url))
print("ready", flush=True)
while True:
    dispatch.process_due(sessions, settings=settings, now=moment)
    time.sleep(0.002)
"""


def _start_worker(db_url: str, moment: datetime) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-c", WORKER, db_url, moment.isoformat()],
                            cwd=REPO, env=env, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    return proc


def _reap(proc: subprocess.Popen[str]) -> None:
    proc.wait()
    if proc.stdout is not None:
        proc.stdout.close()


@pytest.mark.slow
def test_widening_exactly_once_when_worker_killed(
    session: Session, settings: Settings, db_url: str
) -> None:
    w = small_world(session)
    # Four requests: the ring-1 volunteers stay under the flood limit, so ring 1 is used.
    requests = [_offered(session, settings, w, "errands").id for _ in range(4)]
    later = NOW + timedelta(seconds=settings.deadline_normal_s + 1)
    rng = random.Random(7)
    for _ in range(3):
        proc = _start_worker(db_url, later)
        time.sleep(rng.uniform(0.0, 0.05))
        proc.send_signal(signal.SIGKILL)  # killed wherever it is, maybe mid-transaction
        _reap(proc)
    proc = _start_worker(db_url, later)
    second = _start_worker(db_url, later)  # two live workers at once must not double up
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            session.expire_all()
            rings = session.scalars(select(HelpRequest.ring).where(
                HelpRequest.id.in_(requests))).all()
            if all(r >= 1 for r in rings):
                break
            time.sleep(0.05)
        time.sleep(0.3)
    finally:
        for p in (proc, second):
            p.send_signal(signal.SIGKILL)
            _reap(p)
    session.expire_all()
    for rid in requests:
        req = session.get(HelpRequest, rid)
        assert req.ring == 1, (rid, req.status, req.ring)
        widened = session.scalar(select(func.count()).select_from(Event).where(
            Event.request_id == rid, Event.kind == "widened"))
        assert widened == 1
        ring1 = session.scalars(select(Offer.volunteer_id).where(
            Offer.request_id == rid, Offer.ring == 1)).all()
        assert sorted(ring1) == sorted({w.volunteers["s1a"].id, w.volunteers["s1b"].id})
        assert session.scalar(select(func.count()).select_from(Offer).where(
            Offer.request_id == rid, Offer.ring > 1)) == 0


def test_second_worker_tick_does_nothing(
    session: Session, sessions: Callable[[], Session], settings: Settings
) -> None:
    w = small_world(session)
    req = _offered(session, settings, w)
    later = NOW + timedelta(seconds=settings.deadline_normal_s + 1)
    # A deadline moved back (e.g. by a clock fix) is still handled once per ring.
    session.execute(update(HelpRequest).where(HelpRequest.id == req.id).values(deadline=NOW))
    session.commit()
    counts = [dispatch.process_due(sessions, settings=settings, now=later) for _ in range(3)]
    assert counts == [1, 0, 0]
