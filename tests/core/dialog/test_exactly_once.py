"""Each input handled once: the same ref again replays the replies, a turn that died half-way
is finished without a second request, and every piece of news reaches the person once."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event
from sqlmodel import Session, col, select

from core import dispatch, texts
from core.dialog import Incoming, Turn, UserRef, delivery, handle_turn
from core.models import HelpRequest, Notification, Offer, Resident
from core.settings import Settings
from tests.core.dialog.world import CARER_TG, NOW, RESIDENT_TG, World

ESCORT = "Please go with me to the hospital tomorrow morning"
EMERGENCY = "Help! My husband collapsed and is not breathing"


class Killed(BaseException):
    """Stands for the process dying here (a BaseException: no `except Exception` stops it)."""


@contextmanager
def dies_after_commit(session: Session, number: int) -> Iterator[None]:
    """The session's `number`-th commit goes through; the next touch of the database kills
    the 'process' (nothing after that commit reaches the database)."""
    commits = [0]

    def after_commit(_: Session) -> None:
        commits[0] += 1

    def after_begin(*_: object) -> None:
        if commits[0] >= number:
            raise Killed(f"killed after commit {number}")

    event.listen(session, "after_commit", after_commit)
    event.listen(session, "after_begin", after_begin)
    try:
        yield
    finally:
        event.remove(session, "after_commit", after_commit)
        event.remove(session, "after_begin", after_begin)


Run = Callable[..., Turn]


@pytest.fixture
def run(sessions: Callable[[], Session], settings: Settings) -> Run:
    """run(tg, kind, ref=..., die_after=n, **fields): one turn in a fresh session."""

    def _run(who: int, kind: str, *, die_after: int | None = None, **fields: object) -> Turn:
        user = UserRef(channel="telegram", external_id=str(who), lang_hint="en")
        incoming = Incoming(kind=kind, **fields)  # type: ignore[arg-type]
        with sessions() as session:
            if die_after is None:
                return handle_turn(session, settings=settings, user=user, incoming=incoming,
                                   now=NOW)
            with dies_after_commit(session, die_after), pytest.raises(Killed):
                handle_turn(session, settings=settings, user=user, incoming=incoming, now=NOW)
            return Turn()

    return _run


def _requests(sessions: Callable[[], Session]) -> list[HelpRequest]:
    with sessions() as session:
        return list(session.exec(select(HelpRequest).order_by(col(HelpRequest.id))).all())


def _data(turn: Turn, prefix: str) -> str:
    return next(b.data for r in turn.replies for row in r.buttons for b in row
                if b.data.startswith(prefix))


def _notes(sessions: Callable[[], Session], key: str) -> list[Notification]:
    with sessions() as session:
        return list(session.exec(select(Notification).where(Notification.key == key)).all())


def _ask(run: Run, ref: str = "u1") -> tuple[Turn, int]:
    """A request whose read-back is confirmed with the escort button (or Confirm)."""
    turn = run(RESIDENT_TG, "text", text=ESCORT, ref=ref)
    return turn, int(turn.replies[0].values.get("id") or _data(turn, "req:").rsplit(":", 1)[1])


def test_same_ref_again_replays_the_replies_and_stores_nothing_more(
    world: World, run: Run, sessions: Callable[[], Session]
) -> None:
    first = run(RESIDENT_TG, "text", text=ESCORT, ref="tg:1")
    again = run(RESIDENT_TG, "text", text=ESCORT, ref="tg:1")
    assert again == first
    assert len(_requests(sessions)) == 1
    other = run(RESIDENT_TG, "text", text=ESCORT, ref="tg:2")  # a new message: a new request
    assert [r.key for r in other.replies] == [r.key for r in first.replies]
    assert len(_requests(sessions)) == 2


@pytest.mark.parametrize("die_after", [1, 2], ids=["after_storing", "after_classifying"])
def test_killed_while_asking_gives_one_request(
    world: World, run: Run, sessions: Callable[[], Session], die_after: int
) -> None:
    """Died after the request was stored (and maybe classified): the same update again
    finishes the turn with that request, and the conversation carries on to the offers."""
    run(RESIDENT_TG, "text", text=ESCORT, ref="tg:7", die_after=die_after)
    stored = _requests(sessions)
    assert len(stored) == 1
    assert stored[0].status == ("new" if die_after == 1 else "classified")
    turn = run(RESIDENT_TG, "text", text=ESCORT, ref="tg:7")
    assert len(_requests(sessions)) == 1
    # Classified: the read-back; never classified: the choice of kind, escort first.
    assert [r.key for r in turn.replies] in (["dialog.readback"], ["dialog.clarify"])
    press = _data(turn, ("req:confirm:", "cat:escort:"))  # type: ignore[arg-type]
    assert press.endswith(f":{stored[0].id}")
    sent = run(RESIDENT_TG, "button", data=press, ref="tg:8")
    assert [r.key for r in sent.replies] == ["dialog.request.sent"]
    assert [r.status for r in _requests(sessions)] == ["offered"]


def test_killed_after_confirming_says_sent_once(
    world: World, run: Run, sessions: Callable[[], Session]
) -> None:
    turn = run(RESIDENT_TG, "text", text=ESCORT, ref="tg:1")
    confirm = _data(turn, "req:confirm:")
    run(RESIDENT_TG, "button", data=confirm, ref="tg:2", die_after=1)
    with sessions() as session:
        offers = len(session.exec(select(Offer)).all())
    assert offers == 2 and _requests(sessions)[0].status == "offered"
    again = run(RESIDENT_TG, "button", data=confirm, ref="tg:2")
    assert [r.key for r in again.replies] == ["dialog.request.sent"]
    with sessions() as session:
        assert len(session.exec(select(Offer)).all()) == offers  # not offered twice
    told = _notes(sessions, "dispatch.resident.offered")
    assert [(n.status, n.channel_ref) for n in told] == [("sent", delivery.DIALOG_REF)]


def test_old_confirm_pressed_again_says_where_the_request_stands(
    world: World, run: Run, sessions: Callable[[], Session]
) -> None:
    turn = run(RESIDENT_TG, "text", text=ESCORT, ref="tg:1")
    confirm = _data(turn, "req:confirm:")
    run(RESIDENT_TG, "button", data=confirm, ref="tg:2")
    replay = run(RESIDENT_TG, "button", data=confirm, ref="tg:3")
    assert [r.key for r in replay.replies] == ["dialog.request.already"]
    assert replay.replies[0].values["status"] == texts.get("dialog.status_name.offered", "en")
    cancel = run(RESIDENT_TG, "button", data=confirm.replace("confirm", "cancel"), ref="tg:4")
    assert [r.key for r in cancel.replies] == ["dialog.request.cancelled"]
    again = run(RESIDENT_TG, "button", data=confirm.replace("confirm", "cancel"), ref="tg:5")
    assert [r.key for r in again.replies] == ["dialog.request.already"]
    assert len(_notes(sessions, "dispatch.resident.cancelled")) == 1


def test_news_goes_to_the_person_once(
    world: World, run: Run, sessions: Callable[[], Session]
) -> None:
    """The reply takes over dispatch's outbox message about the same change (sent, seen)."""
    turn = run(RESIDENT_TG, "text", text=ESCORT, ref="tg:1")
    run(RESIDENT_TG, "button", data=_data(turn, "req:confirm:"), ref="tg:2")
    run(RESIDENT_TG, "button", data=_data(turn, "req:cancel:"), ref="tg:3")
    emergency = run(RESIDENT_TG, "text", text=EMERGENCY, ref="tg:4")
    assert [r.key for r in emergency.replies] == ["dialog.emergency"]
    for key in ("dispatch.resident.offered", "dispatch.resident.cancelled",
                "dispatch.resident.emergency"):
        rows = _notes(sessions, key)
        assert [(n.status, n.channel_ref) for n in rows] == [("sent", delivery.DIALOG_REF)], key
        assert rows[0].seen_at is not None  # the web chat will not show it again either
    with sessions() as session:
        claimable = dispatch.claim_notifications(session, channel="telegram", kinds=["resident"])
    assert claimable == []


def test_a_carer_is_answered_and_the_resident_still_told(
    world: World, run: Run, sessions: Callable[[], Session]
) -> None:
    turn = run(CARER_TG, "text", text="My son needs help with shopping on Saturday", ref="c:1")
    press = _data(turn, ("req:confirm:", "cat:errands:"))  # type: ignore[arg-type]
    sent = run(CARER_TG, "button", data=press, ref="c:2")
    assert [r.key for r in sent.replies] in (["dialog.request.sent"],
                                             ["dialog.request.unassigned"])
    key = "dispatch.resident." + ("offered" if sent.replies[0].key.endswith("sent")
                                  else "unassigned")
    by_kind = {n.recipient_kind: n for n in _notes(sessions, key)}
    assert by_kind["carer"].channel_ref == delivery.DIALOG_REF
    assert by_kind["resident"].status == "pending"  # the resident hears it from the outbox


def test_a_sender_that_claimed_first_keeps_the_news(
    world: World, sessions: Callable[[], Session]
) -> None:
    """take_over: pending → the dialog; claimed by a sender → silent; nothing queued → say it."""
    with sessions() as session:
        request = HelpRequest(resident_id=world.resident, text="x", status="offered")
        session.add(request)
        session.commit()
        rid = request.id or 0
        args = {"request_id": rid, "recipient_kind": "resident", "recipient_id": world.resident,
                "keys": ("dispatch.resident.offered",)}
        assert delivery.take_over(session, **args) is True  # nothing queued
        session.add(Notification(recipient_kind="resident", recipient_id=world.resident,
                                 key="dispatch.resident.offered", request_id=rid,
                                 dedupe_key="t1"))
        session.commit()
        assert dispatch.claim_notifications(session, channel="telegram")
        session.commit()
        assert delivery.take_over(session, **args) is False  # a sender has it


def test_disability_step_names_the_choice(world: World, run: Run) -> None:
    run(5400, "start")
    run(5400, "button", data="lang:zh")
    run(5400, "button", data="mode:text")
    run(5400, "button", data="dis:visual")
    run(5400, "button", data="dis:hearing")
    saved = run(5400, "button", data="dis:done")
    assert saved.replies[0].key == "dialog.disability_set"
    said = texts.get(saved.replies[0].key, "zh", **saved.replies[0].values)
    assert said == "已保存。您选了：视力残疾（盲）、听力残疾。"
    run(5401, "start")
    run(5401, "button", data="lang:en")
    run(5401, "button", data="mode:text")
    none = run(5401, "button", data="dis:done")
    assert none.replies[0].key == "dialog.disability_none"


def test_old_onboarding_button_changes_nothing(
    world: World, run: Run, sessions: Callable[[], Session]
) -> None:
    stale = run(RESIDENT_TG, "button", data="lang:zh")
    assert [r.key for r in stale.replies] == ["dialog.button_stale"]
    with sessions() as session:
        resident = session.exec(select(Resident).where(Resident.telegram_id == RESIDENT_TG)).one()
    assert resident.lang == "en"
