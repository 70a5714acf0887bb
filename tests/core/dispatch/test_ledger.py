"""The tamper-evident ledger, star levels, CSV export and the certificate."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import delete, select, update
from sqlmodel import Session

from core import dispatch
from core.models import Offer, ServiceRecord
from core.settings import Settings
from tests.core.dispatch.factories import small_world

NOW = datetime(2026, 5, 4, 2, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("hours", "stars"),
    [(0, 0), (99.99, 0), (100, 1), (299, 1), (300, 2), (600, 3), (999, 3), (1000, 4),
     (1499.5, 4), (1500, 5), (9000, 5)],
)
def test_star_level(hours: float, stars: int) -> None:
    assert dispatch.star_level(hours) == stars


def _serve(session: Session, settings: Settings, w, hours: float, rating: int = 5) -> int:
    resident = w.residents["blind"]
    req = dispatch.create_request(session, settings=settings, resident_id=resident.id,
                                  text="help", category="escort", now=NOW)
    req = dispatch.confirm_request(session, settings=settings, request_id=req.id,
                                   actor="system", now=NOW)
    offer = session.scalars(select(Offer).where(Offer.request_id == req.id,
                                                Offer.state == "pending")).first()
    dispatch.accept_offer(session, settings=settings, offer_id=offer.id,
                          volunteer_id=offer.volunteer_id, now=NOW)
    dispatch.complete_request(session, settings=settings, request_id=req.id,
                              volunteer_id=offer.volunteer_id, hours=hours, now=NOW)
    dispatch.give_feedback(session, settings=settings, request_id=req.id,
                           resident_id=resident.id, rating=rating, now=NOW)
    return req.id


@pytest.fixture
def served(session: Session, settings: Settings) -> list[int]:
    w = small_world(session)
    # Each volunteer holds at most two tasks, and the nearest ring has two: five services.
    return [_serve(session, settings, w, hours) for hours in (1, 2.5, 3, 1.25, 4)]


def test_chain_verifies(session: Session, served: list[int]) -> None:
    report = dispatch.verify_ledger(session)
    assert (report.ok, report.count, report.problems) == (True, 5, [])


def test_edited_hours_are_caught(session: Session, served: list[int]) -> None:
    target = session.scalars(select(ServiceRecord).order_by(ServiceRecord.id)).all()[2]
    session.execute(update(ServiceRecord).where(ServiceRecord.id == target.id).values(hours=30))
    session.commit()
    report = dispatch.verify_ledger(session)
    assert not report.ok
    assert report.problems == [f"record:{target.id}:hash_mismatch"]


def test_removed_row_is_caught(session: Session, served: list[int]) -> None:
    rows = session.scalars(select(ServiceRecord).order_by(ServiceRecord.id)).all()
    session.execute(delete(ServiceRecord).where(ServiceRecord.id == rows[1].id))
    session.commit()
    report = dispatch.verify_ledger(session)
    assert not report.ok
    assert f"record:{rows[2].id}:chain_broken" in report.problems
    assert f"request:{rows[1].request_id}:record_missing" in report.problems


def test_removed_last_row_is_caught(session: Session, served: list[int]) -> None:
    last = session.scalars(select(ServiceRecord).order_by(ServiceRecord.id.desc())).first()
    session.execute(delete(ServiceRecord).where(ServiceRecord.id == last.id))
    session.commit()
    assert dispatch.verify_ledger(session).problems == [f"request:{last.request_id}:record_missing"]


def test_csv_and_certificate(session: Session, served: list[int]) -> None:
    rows = list(csv.DictReader(io.StringIO(dispatch.export_ledger_csv(session))))
    assert len(rows) == 5 and sum(float(r["hours"]) for r in rows) == pytest.approx(11.75)
    d2 = session.scalars(select(ServiceRecord.recipient_area_id)).first()
    assert len(list(csv.DictReader(io.StringIO(
        dispatch.export_ledger_csv(session, area_ids=[d2]))))) == 5
    from core.models import Area

    other = session.scalars(select(Area.id).where(Area.code == "D2")).one()
    assert list(csv.DictReader(io.StringIO(
        dispatch.export_ledger_csv(session, area_ids=[other])))) == []
    volunteer_id = int(rows[0]["volunteer_id"])
    ledger = dispatch.volunteer_ledger(session, volunteer_id=volunteer_id)
    for lang, word in (("en", "Certificate"), ("zh", "志愿服务证明")):
        page = dispatch.certificate_html(session, volunteer_id=volunteer_id, lang=lang)
        assert page.startswith("<!doctype html>") and f'lang="{lang}"' in page
        assert word in page and f"{ledger.total_hours:.2f}" in page
        assert ledger.records[-1].hash in page and "{" not in page.split("<style>")[0]


def test_concurrent_confirmations_keep_one_chain(
    session: Session, sessions: Callable[[], Session], settings: Settings
) -> None:
    import threading

    w = small_world(session)
    ids = []
    for _ in range(4):
        resident = w.residents["blind"]
        req = dispatch.create_request(session, settings=settings, resident_id=resident.id,
                                      text="help", category="escort", now=NOW)
        req = dispatch.confirm_request(session, settings=settings, request_id=req.id,
                                       actor="system", now=NOW)
        offer = session.scalars(select(Offer).where(Offer.request_id == req.id,
                                                    Offer.state == "pending")).first()
        dispatch.accept_offer(session, settings=settings, offer_id=offer.id,
                              volunteer_id=offer.volunteer_id, now=NOW)
        dispatch.complete_request(session, settings=settings, request_id=req.id,
                                  volunteer_id=offer.volunteer_id, hours=1, now=NOW)
        ids.append((req.id, resident.id))
    barrier = threading.Barrier(len(ids))

    def confirm(request_id: int, resident_id: int) -> None:
        with sessions() as s:
            barrier.wait()
            dispatch.give_feedback(s, settings=settings, request_id=request_id,
                                   resident_id=resident_id, rating=4, now=NOW)

    threads = [threading.Thread(target=confirm, args=pair) for pair in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    report = dispatch.verify_ledger(session)
    assert report.ok and report.count == 4, report.problems
