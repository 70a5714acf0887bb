"""Conversations from data/conversations.toml, step by step, with the stored results checked."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, col, select

from core import texts
from core.dialog import Reply, Turn
from core.models import Area, ConversationState, HelpRequest, Resident, Volunteer
from tests.core.dialog.world import World

DATA = tomllib.loads((Path(__file__).parent / "data" / "conversations.toml").read_text("utf-8"))
CASES = DATA["conversation"]


def _button(replies: list[Reply], step: dict[str, Any]) -> str:
    """The data of the button a step presses, found in the last replies."""
    do, arg = step["do"], step["arg"]
    for reply in reversed(replies):
        for row in reply.buttons:
            for b in row:
                label = texts.get(b.key, reply.lang, easy=reply.easy, **b.values)
                prefixes = tuple(arg) if isinstance(arg, list) else (arg,)
                if (do == "press" and b.key == arg) or (do == "label" and label == arg) or (
                    do == "data_last" and b.data.startswith(prefixes)
                ):
                    return b.data
    raise AssertionError(f"no button for {step} in {[r.key for r in replies]}")


def _incoming(step: dict[str, Any], last: list[Reply], tmp: Path) -> dict[str, Any]:
    do, arg = step["do"], step.get("arg", "")
    if do == "start":
        return {"kind": "start", "command_args": arg or None}
    if do == "command":
        return {"kind": "command", "text": arg}
    if do == "text":
        return {"kind": "text", "text": arg}
    if do == "voice":
        audio = tmp / "note.ogg"
        audio.write_bytes(b"OggS")
        return {"kind": "voice", "audio_path": str(audio), "transcript": arg or None}
    if do == "photo":
        photo = tmp / "letter.jpg"
        photo.write_bytes(b"\xff\xd8")
        return {"kind": "photo", "photo_path": str(photo), "text": arg or None}
    if do == "data":
        return {"kind": "button", "data": arg}
    return {"kind": "button", "data": _button(last, step)}


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_conversation(
    case: dict[str, Any], world: World, talk: Callable[..., Turn],
    sessions: Callable[[], Session], tmp_path: Path,
) -> None:
    """Every step answers with the expected reply keys; the stored state matches at the end."""
    last: list[Reply] = []
    for number, step in enumerate(case["steps"]):
        turn = talk(case["who"], lang_hint=case.get("lang_hint", "en"),
                    **_incoming(step, last, tmp_path))
        keys = [r.key for r in turn.replies]
        where = f"step {number} ({step['do']} {step.get('arg', '')!r})"
        if "expect" in step:
            assert keys == step["expect"], where
        else:
            assert keys in step["expect_any"], where
        if "lang" in step:
            assert {r.lang for r in turn.replies} == {step["lang"]}, where
        for reply in turn.replies:
            text = texts.get(reply.key, reply.lang, easy=reply.easy, **reply.values)
            assert "{" not in text, f"{where}: unfilled value in {reply.key}: {text}"
        last = turn.replies
    with sessions() as session:
        _check(session, case, world)


def _check(session: Session, case: dict[str, Any], world: World) -> None:
    check = case.get("check", {})
    tg = case["who"]
    resident = session.exec(select(Resident).where(Resident.telegram_id == tg)).first()
    if "resident_lang" in check:
        assert resident is not None and resident.lang == check["resident_lang"]
    if "resident_mode" in check:
        assert resident is not None and resident.mode == check["resident_mode"]
    if "resident_disability" in check:
        assert resident is not None and resident.disability_types == check["resident_disability"]
    if "resident_area" in check:
        area = session.get(Area, resident.area_id) if resident and resident.area_id else None
        assert area is not None and area.code == check["resident_area"]
    if "consent" in check:
        assert resident is not None and (resident.consent_at is not None) == check["consent"]
    if "state" in check:
        row = session.get(ConversationState, f"telegram:{tg}")
        assert row is not None and row.state == check["state"]
    last = session.exec(select(HelpRequest).order_by(col(HelpRequest.id).desc())).first()
    if "last_request_status" in check:
        assert last is not None and last.status == check["last_request_status"]
    if "last_request_category" in check:
        assert last is not None and last.category == check["last_request_category"]
    if check.get("last_request_has_photo"):
        assert last is not None and last.photo_path
    if check.get("last_request_has_audio"):
        assert last is not None and last.audio_path
    if check.get("last_request_for_cared"):
        assert last is not None
        assert (last.resident_id, last.carer_id) == (world.cared_for, world.carer)
    volunteer = session.exec(select(Volunteer).where(Volunteer.telegram_id == tg)).first()
    if "volunteer_skills" in check:
        assert volunteer is not None and volunteer.skills == check["volunteer_skills"]
    if "volunteer_on_duty" in check:
        assert volunteer is not None and volunteer.on_duty == check["volunteer_on_duty"]
