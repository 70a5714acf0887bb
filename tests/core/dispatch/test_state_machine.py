"""A hypothesis state machine drives the public API in any order: no illegal transition ever."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select
from sqlmodel import Session

from core import dispatch
from core.exceptions import DomainError
from core.models import Event, HelpRequest, Offer
from core.settings import Settings
from tests.core.dispatch.factories import small_world

START = datetime(2026, 5, 4, 2, 0, tzinfo=UTC)
# Deeper searches: LIGHTWING_DISPATCH_EXAMPLES=300 pytest tests/core/dispatch/test_state_machine.py
EXAMPLES = int(os.environ.get("LIGHTWING_DISPATCH_EXAMPLES", "10"))
CATEGORIES = ["escort", "errands", "reading", "repair", "legal", "emergency", "sign_language"]


def test_lifecycle_state_machine(sessions: Callable[[], Session], settings: Settings) -> None:
    with sessions() as s:
        world = small_world(s)
        for volunteer in world.volunteers.values():
            volunteer.max_tasks = 1000  # long runs must not starve the rings
            s.add(volunteer)
        s.commit()
        residents = [r.id for r in world.residents.values()]
        coordinator = world.coordinators["C"].id

    class Lifecycle(RuleBasedStateMachine):
        requests = Bundle("requests")

        def __init__(self) -> None:
            super().__init__()
            self.session = sessions()
            self.now = START
            self.mine: list[int] = []

        def teardown(self) -> None:
            self.session.close()

        def attempt(self, call: Callable[[], object]) -> None:
            try:
                call()
            except DomainError:
                # Refused on purpose (not allowed now, taken, closed): the state is unchanged.
                self.session.rollback()

        def req(self, rid: int) -> HelpRequest:
            self.session.expire_all()
            return self.session.get(HelpRequest, rid)

        def pending(self, rid: int) -> list[Offer]:
            return list(self.session.scalars(select(Offer).where(
                Offer.request_id == rid, Offer.state == "pending").order_by(Offer.id)))

        @rule(target=requests, category=st.sampled_from(CATEGORIES),
              who=st.sampled_from([0, 1]))
        def create(self, category: str, who: int) -> int:
            req = dispatch.create_request(self.session, settings=settings,
                                          resident_id=residents[who], text="help",
                                          category=category, now=self.now)
            self.mine.append(req.id)
            return req.id

        @rule(rid=requests, category=st.none() | st.sampled_from(CATEGORIES))
        def confirm(self, rid: int, category: str | None) -> None:
            self.attempt(lambda: dispatch.confirm_request(
                self.session, settings=settings, request_id=rid, actor="system",
                category=category, now=self.now))

        @rule(rid=requests, pick=st.integers(0, 5), accept=st.booleans())
        def answer(self, rid: int, pick: int, accept: bool) -> None:
            offers = list(self.session.scalars(
                select(Offer).where(Offer.request_id == rid).order_by(Offer.id)))
            if not offers:
                return
            offer = offers[pick % len(offers)]
            call = dispatch.accept_offer if accept else dispatch.decline_offer
            self.attempt(lambda: call(self.session, settings=settings, offer_id=offer.id,
                                      volunteer_id=offer.volunteer_id, now=self.now))

        @rule(rid=requests, step=st.sampled_from(["start", "arrived", "done"]),
              hours=st.floats(0.5, 8))
        def work(self, rid: int, step: str, hours: float) -> None:
            req = self.req(rid)
            vid = req.volunteer_id or 1
            if step == "start":
                call = lambda: dispatch.start_request(  # noqa: E731
                    self.session, settings=settings, request_id=rid, volunteer_id=vid,
                    now=self.now)
            elif step == "arrived":
                call = lambda: dispatch.mark_arrived(  # noqa: E731
                    self.session, settings=settings, request_id=rid, volunteer_id=vid,
                    now=self.now)
            else:
                call = lambda: dispatch.complete_request(  # noqa: E731
                    self.session, settings=settings, request_id=rid, volunteer_id=vid,
                    hours=hours, now=self.now)
            self.attempt(call)

        @rule(rid=requests, rating=st.integers(1, 5), agree=st.booleans())
        def feedback(self, rid: int, rating: int, agree: bool) -> None:
            req = self.req(rid)
            self.attempt(lambda: dispatch.give_feedback(
                self.session, settings=settings, request_id=rid, resident_id=req.resident_id,
                rating=rating, hours_confirmed=agree, now=self.now))

        @rule(rid=requests, by_resident=st.booleans())
        def cancel(self, rid: int, by_resident: bool) -> None:
            req = self.req(rid)
            actor = f"resident:{req.resident_id}" if by_resident else f"coordinator:{coordinator}"
            self.attempt(lambda: dispatch.cancel_request(
                self.session, settings=settings, request_id=rid, actor=actor, now=self.now))

        @rule(rid=requests, how=st.sampled_from(["volunteer", "team", "route"]))
        def reassign(self, rid: int, how: str) -> None:
            kw: dict[str, int] = {}
            if how == "volunteer":
                kw["volunteer_id"] = world.volunteers["d1a"].id
            elif how == "team":
                kw["team_id"] = world.teams["S1"].id
            self.attempt(lambda: dispatch.reassign_request(
                self.session, settings=settings, request_id=rid,
                actor=f"coordinator:{coordinator}", now=self.now, **kw))

        @rule(seconds=st.sampled_from([60, 1000, 8000, 90000]))
        def tick(self, seconds: int) -> None:
            self.now += timedelta(seconds=seconds)
            dispatch.process_due(sessions, settings=settings, now=self.now)

        @invariant()
        def lifecycle_is_legal(self) -> None:
            self.session.expire_all()
            for rid in self.mine:
                req = self.session.get(HelpRequest, rid)
                events = list(self.session.scalars(
                    select(Event).where(Event.request_id == rid).order_by(Event.id)))
                assert events[0].kind == "created" and events[0].to_status == "new"
                status = "new"
                for event in events[1:]:
                    assert event.from_status == status, (rid, event.kind, event.from_status)
                    assert event.from_status == event.to_status or dispatch.is_allowed(
                        event.from_status, event.to_status), (event.from_status, event.to_status)
                    status = event.to_status
                assert status == req.status
                offers = list(self.session.scalars(select(Offer).where(Offer.request_id == rid)))
                pending = [o for o in offers if o.state == "pending"]
                assert (req.status == "offered") == bool(pending), (req.status, len(pending))
                assert all(o.ring == req.ring for o in pending)
                if req.status in ("accepted", "in_progress", "done", "disputed", "confirmed"):
                    assert req.volunteer_id is not None
                if req.status == "emergency":
                    assert req.urgency == "emergency"
                assert (req.category == "emergency") <= (req.urgency == "emergency")

    run_state_machine_as_test(
        Lifecycle,
        settings=hsettings(max_examples=EXAMPLES, stateful_step_count=25, deadline=None,
                           suppress_health_check=list(HealthCheck), database=None),
    )
    with sessions() as s:
        assert dispatch.verify_ledger(s).ok
