"""A request's whole life through the dialog: ask, confirm, race to accept, work, feedback."""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import Session, col, select

from core import dispatch
from core.dialog import Turn
from core.models import Feedback, HelpRequest, Offer, ServiceRecord, TeamMember
from core.services import teams
from core.settings import Settings
from tests.core.dialog.world import (
    COORDINATOR_TG,
    FAR_VOLUNTEER_TG,
    RESIDENT_TG,
    VOLUNTEER_TGS,
    World,
)

Talk = Callable[..., Turn]


def _data(turn: Turn, prefix: str) -> str:
    for reply in turn.replies:
        for row in reply.buttons:
            for b in row:
                if b.data.startswith(prefix):
                    return b.data
    raise AssertionError(f"no {prefix} button in {[r.key for r in turn.replies]}")


def _ask_and_confirm(talk: Talk) -> int:
    turn = talk(RESIDENT_TG, "text", text="Please go with me to the hospital tomorrow morning")
    if turn.replies[0].key == "dialog.readback":
        turn = talk(RESIDENT_TG, "button", data=_data(turn, "req:confirm:"))
    else:
        turn = talk(RESIDENT_TG, "button", data=_data(turn, "cat:escort:"))
    assert [r.key for r in turn.replies] == ["dialog.request.sent"]
    return int(turn.replies[0].values["id"])


def test_whole_life(world: World, talk: Talk, sessions: Callable[[], Session]) -> None:
    """One volunteer wins the race, the other is told, hours go to the ledger with the rating."""
    request_id = _ask_and_confirm(talk)
    with sessions() as session:
        offers = session.exec(select(Offer).where(Offer.request_id == request_id)).all()
    by_volunteer = {o.volunteer_id: o.id for o in offers}
    assert set(by_volunteer) == set(world.volunteers)  # the far volunteer is not asked

    first, second = world.volunteers
    won = talk(VOLUNTEER_TGS[0], "button", data=f"offer:accept:{by_volunteer[first]}")
    assert [r.key for r in won.replies] == ["dialog.offer.accepted"]
    lost = talk(VOLUNTEER_TGS[1], "button", data=f"offer:accept:{by_volunteer[second]}")
    assert [r.key for r in lost.replies] in (["dialog.offer.taken"], ["dialog.offer.closed"])
    # Private details only for the winner.
    mine = talk(VOLUNTEER_TGS[0], "command", text="tasks")
    assert [r.key for r in mine.replies] == ["dialog.task.details"]
    assert mine.replies[0].values["address"] == "3 Garden Road"
    theirs = talk(VOLUNTEER_TGS[1], "command", text="tasks")
    assert [r.key for r in theirs.replies] == ["dialog.task.none"]

    for action, key in (("onway", "dialog.task.on_way_noted"),
                        ("arrived", "dialog.task.arrived_noted"),
                        ("done", "dialog.task.ask_hours")):
        turn = talk(VOLUNTEER_TGS[0], "button", data=f"task:{action}:{request_id}")
        assert [r.key for r in turn.replies] == [key]
    bad = talk(VOLUNTEER_TGS[0], "text", text="lots")
    assert [r.key for r in bad.replies] == ["dialog.task.hours_invalid"]
    done = talk(VOLUNTEER_TGS[0], "text", text="2.5")
    assert [r.key for r in done.replies] == ["dialog.task.done_noted"]

    rated = talk(RESIDENT_TG, "button", data=f"feedback:{request_id}:5")
    assert [r.key for r in rated.replies] == ["dialog.feedback.ask_comment"]
    thanks = talk(RESIDENT_TG, "text", text="Very kind and patient.")
    assert [r.key for r in thanks.replies] == ["dialog.feedback.thanks"]
    with sessions() as session:
        request = session.get(HelpRequest, request_id)
        assert request is not None and request.status == "confirmed"
        feedback = session.exec(select(Feedback).where(Feedback.request_id == request_id)).one()
        assert (feedback.rating, feedback.comment) == (5, "Very kind and patient.")
        record = session.exec(select(ServiceRecord)).one()
        assert (record.volunteer_id, record.hours, record.rating) == (first, 2.5, 5)
    me = talk(VOLUNTEER_TGS[0], "command", text="me")
    assert me.replies[0].values["hours"] == "2.5"


def test_forged_offer_button_is_refused(world: World, talk: Talk,
                                        sessions: Callable[[], Session]) -> None:
    """A volunteer pressing somebody else's offer gets a polite refusal and learns nothing."""
    request_id = _ask_and_confirm(talk)
    with sessions() as session:
        offer = session.exec(select(Offer).where(Offer.request_id == request_id)).first()
    assert offer is not None
    forged = talk(FAR_VOLUNTEER_TG, "button", data=f"offer:accept:{offer.id}")
    assert [r.key for r in forged.replies] == ["dialog.not_yours"]
    assert "address" not in forged.replies[0].values
    by_resident = talk(RESIDENT_TG, "button", data=f"offer:accept:{offer.id}")
    assert [r.key for r in by_resident.replies] == ["dialog.not_yours"]
    with sessions() as session:
        request = session.get(HelpRequest, request_id)
        assert request is not None and request.status == "offered"


def test_resident_cannot_touch_anothers_request(world: World, talk: Talk) -> None:
    """The carer's request buttons pressed by another resident are refused."""
    turn = talk(6001, "text", text="My son needs help with shopping on Saturday")
    rid = int(_data(turn, "req:cancel:").rsplit(":", 1)[1])
    refused = talk(RESIDENT_TG, "button", data=f"req:cancel:{rid}")
    assert [r.key for r in refused.replies] == ["dialog.not_yours"]
    ok = talk(6001, "button", data=f"req:cancel:{rid}")
    assert [r.key for r in ok.replies] == ["dialog.request.cancelled"]


def test_invite_deep_link_registers_and_joins(world: World, talk: Talk, settings: Settings,
                                             sessions: Callable[[], Session]) -> None:
    """/start team-<code> for a new person: register, then member of the team."""
    with sessions() as session:
        code = teams.create_invite_code(session, settings=settings, team_id=world.team)
    turn = talk(5100, "start", command_args=f"team-{code}")
    assert [r.key for r in turn.replies] == ["dialog.vol.invite_welcome", "dialog.vol.ask_skills"]
    talk(5100, "button", data="vskill:guiding")
    talk(5100, "button", data="vskill:done")
    talk(5100, "button", data="vlang:done")
    turn = talk(5100, "button", data=f"area:set:{world.street}")
    assert [r.key for r in turn.replies] == [
        "dialog.vol.registered", "dialog.vol.joined", "dialog.vol.duty_hint"]
    with sessions() as session:
        members = session.exec(select(TeamMember).where(TeamMember.team_id == world.team)).all()
    assert len(members) == 3
    forged = talk(5101, "start", command_args=f"team-{world.team}-{'0' * len(code.split('-')[1])}")
    assert [r.key for r in forged.replies] == ["dialog.vol.invite_invalid"]


def test_coordinator_queue_and_reassign(world: World, talk: Talk,
                                        sessions: Callable[[], Session],
                                        settings: Settings) -> None:
    """Open requests show in /queue; an unassigned one can be reassigned from there."""
    request_id = _ask_and_confirm(talk)
    turn = talk(COORDINATOR_TG, "command", text="queue")
    assert turn.replies[0].key == "dialog.coord.queue"
    assert turn.replies[0].values["open"] == 1
    opened = talk(COORDINATOR_TG, "button", data=f"request:open:{request_id}")
    assert opened.replies[0].key == "dialog.coord.request"
    turn = talk(COORDINATOR_TG, "button", data=f"req:reassign:{request_id}")
    assert [r.key for r in turn.replies] in (["dialog.coord.reassigned"],
                                             ["error.illegal_transition"])


def test_voice_mode_marks_turn_for_speech(world: World, talk: Talk) -> None:
    """A blind resident who chose voice gets voice; a deaf one never does."""
    talk(5200, "start")
    talk(5200, "button", data="lang:en")
    talk(5200, "button", data="mode:voice")
    turn = talk(5200, "button", data="dis:visual")
    assert turn.voice_ok and turn.mode == "voice"
    talk(5201, "start")
    talk(5201, "button", data="lang:en")
    talk(5201, "button", data="mode:voice")
    talk(5201, "button", data="dis:hearing")
    turn = talk(5201, "button", data="dis:done")
    assert turn.mode == "voice" and not turn.voice_ok


def test_easy_read_mode(world: World, talk: Talk) -> None:
    """Choosing easy words switches every later reply to the easy-read texts."""
    talk(5300, "start")
    talk(5300, "button", data="lang:en")
    turn = talk(5300, "button", data="mode:easy_read")
    assert all(r.easy for r in turn.replies)


def test_ledger_helpers_used_by_me_exist(world: World, sessions: Callable[[], Session]) -> None:
    """/me relies on dispatch's ledger view: a new volunteer has zero hours and no stars."""
    with sessions() as session:
        ledger = dispatch.volunteer_ledger(session, volunteer_id=world.volunteers[0])
        assert float(ledger.total_hours) == 0.0
        assert dispatch.star_level(0.0) == 0
        assert not session.exec(select(HelpRequest).where(col(HelpRequest.id) > 0)).all()


def test_web_channel_user(world: World, sessions: Callable[[], Session],
                          settings: Settings) -> None:
    """The same dialog on the web chat: a resident keyed by web id, then a request."""
    from core.dialog import Incoming, UserRef, handle
    from core.models import Resident

    user = UserRef(channel="web", external_id="web-session-abc", lang_hint="zh-CN")
    with sessions() as session:
        first = handle(session, settings=settings, user=user, incoming=Incoming(kind="start"))
    assert [r.key for r in first] == ["dialog.welcome", "dialog.ask.lang"]
    assert {r.lang for r in first} == {"zh"}
    with sessions() as session:
        consent = handle(session, settings=settings, user=user,
                         incoming=Incoming(kind="button", data="set:consent"))
        assert [r.key for r in consent] == ["dialog.ask.consent"]
        handle(session, settings=settings, user=user,
               incoming=Incoming(kind="button", data="consent:yes"))
        asked = handle(session, settings=settings, user=user,
                       incoming=Incoming(kind="text", text="明天上午请陪我去医院"))
        assert asked[0].key in ("dialog.readback", "dialog.clarify")
        resident = session.exec(select(Resident).where(
            Resident.web_id == "web-session-abc")).one()
        assert resident.consent_at is not None
        request = session.exec(select(HelpRequest)).one()
        assert (request.resident_id, request.channel) == (resident.id, "web")
