"""The whole stack through HTTP: resident asks, volunteers race, work, feedback, ledger."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from sqlmodel import Session, col, select

from core import dispatch, texts
from core.models import HelpRequest, Notification, ServiceRecord
from core.settings import Settings
from tests.bot.conftest import RunningBot
from tests.bot.fake_telegram import FakeTelegram, signed, unsigned
from tests.core.dialog.world import FAR_VOLUNTEER_TG, RESIDENT_TG, VOLUNTEER_TGS, World


async def confirm_readback(fake: FakeTelegram, after: int = 0) -> None:
    """Press Confirm on the read-back (or the escort choice when asked to clarify)."""
    message = await fake.wait_for(
        RESIDENT_TG, lambda m: any(d.startswith(("req:confirm:", "cat:escort:"))
                                   for d in m.data()), after=after, timeout=60)
    data = next(d for d in message.data() if d.startswith(("req:confirm:", "cat:escort:")))
    fake.press(RESIDENT_TG, data, message.message_id)


async def run_request_to_ledger(fake: FakeTelegram, sessions: Callable[[], Session]) -> None:
    """From the read-back to the ledger row, checking each hand-over on the way."""
    await confirm_readback(fake)
    offers = {}
    for tg in VOLUNTEER_TGS:
        offers[tg] = await fake.wait_button(tg, "offer:accept:")
    # Nothing private in an offer: no address, no phone.
    for message, _ in offers.values():
        assert "3 Garden Road" not in message.text and "13800000000" not in message.text
    assert not [m for m in fake.to(FAR_VOLUNTEER_TG) if m.data()]

    offer_texts = {tg: message.text for tg, (message, _) in offers.items()}
    # Both press Accept at the same moment.
    for tg, (message, data) in offers.items():
        fake.press(tg, data, message.message_id)
    details = {}
    done_waiting = asyncio.get_running_loop().time() + 20
    while len(details) < 1 and asyncio.get_running_loop().time() < done_waiting:
        for tg in VOLUNTEER_TGS:
            found = [m for m in fake.to(tg) if any(d.startswith("request:start:")
                                                   for d in m.data())]
            if found:
                details[tg] = found[0]
        await asyncio.sleep(0.05)
    assert len(details) == 1, "exactly one volunteer wins"
    winner = next(iter(details))
    loser = next(tg for tg in VOLUNTEER_TGS if tg != winner)
    assert "3 Garden Road" in details[winner].text
    # The loser's offer message is edited to say it was taken (and loses its buttons).
    loser_offer = offers[loser][0]
    await _eventually(lambda: loser_offer.text != offer_texts[loser] and not loser_offer.data())
    assert fake.method_calls("editMessageText")

    # The resident is told someone is coming.
    with sessions() as session:
        told = session.exec(
            select(Notification).where(Notification.key == "dispatch.resident.accepted")
        ).first()
    assert told is not None
    await _eventually(lambda: _status(sessions, told.id) == "sent")

    rid = int(next(d for d in details[winner].actions() if d.startswith("request:start:"))
              .rsplit(":", 1)[1])
    fake.press(winner, signed(winner, f"request:start:{rid}"), details[winner].message_id)
    await fake.wait_button(winner, "task:arrived:")
    fake.press(winner, signed(winner, f"task:arrived:{rid}"))
    count = len(fake.to(winner))
    fake.press(winner, signed(winner, f"task:done:{rid}"))
    message, data = await fake.wait_button(winner, f"hours:{rid}:", after=count)
    fake.press(winner, signed(winner, f"hours:{rid}:2"), message.message_id)

    rating, data = await fake.wait_button(RESIDENT_TG, f"feedback:{rid}:5")
    fake.press(RESIDENT_TG, data, rating.message_id)
    await fake.wait_button(RESIDENT_TG, "fb:skip")
    fake.send_text(RESIDENT_TG, "Kind and on time, thank you.")
    await _eventually(lambda: _ledger(sessions) == (2.0, 5))
    with sessions() as session:
        assert dispatch.verify_ledger(session).ok
        request = session.get(HelpRequest, rid)
        assert request is not None and request.status == "confirmed"


def _status(sessions: Callable[[], Session], notification_id: int | None) -> str | None:
    with sessions() as session:
        row = session.get(Notification, notification_id)
        return row.status if row else None


def _ledger(sessions: Callable[[], Session]) -> tuple[float, int | None] | None:
    with sessions() as session:
        row = session.exec(select(ServiceRecord)).first()
        return (row.hours, row.rating) if row else None


async def _eventually(check: Callable[[], object], timeout: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.05)


async def test_text_request_end_to_end(world: World, fake: FakeTelegram, running: RunningBot,
                                       sessions: Callable[[], Session]) -> None:
    """A typed request goes all the way to a hash-chained ledger row."""
    fake.send_text(RESIDENT_TG, "Please go with me to the hospital tomorrow morning")
    await run_request_to_ledger(fake, sessions)
    # Menus: the default ones in zh and en, and a per-chat one for the resident.
    scopes = [(c["scope"] or {}).get("type") for c in fake.commands]
    assert "default" in scopes and "chat" in scopes
    assert {c["language_code"] for c in fake.commands if (c["scope"] or {}).get(
        "type") == "default"} == {None, "en"}
    # Typing was shown while the dialog worked.
    assert fake.method_calls("sendChatAction")


@pytest.mark.voice
@pytest.mark.slow
async def test_voice_request_end_to_end(world: World, fake: FakeTelegram, running: RunningBot,
                                        sessions: Callable[[], Session],
                                        bot_settings: Settings) -> None:
    """The same with a voice note made by the TTS: transcribed, kept, and served."""
    from accessibility import tts

    speech = await asyncio.to_thread(
        tts.synthesize, "Please go with me to the hospital tomorrow morning.", "en",
        bot_settings)
    fake.send_voice(RESIDENT_TG, speech.ogg)
    await run_request_to_ledger(fake, sessions)
    with sessions() as session:
        request = session.exec(select(HelpRequest).order_by(col(HelpRequest.id))).first()
    assert request is not None and request.audio_path
    assert request.audio_path.startswith(str(bot_settings.media_dir))
    assert "hospital" in (request.transcript or "").lower()


async def test_forged_callback_is_refused_politely(world: World, fake: FakeTelegram,
                                                   running: RunningBot,
                                                   sessions: Callable[[], Session]) -> None:
    """Accepting an offer that is not yours: a polite no, no details, the offer still open.

    A button copied from another chat fails its signature; one validly signed for this chat
    (as if the bot had sent it here) is still refused by the dialog.
    """
    fake.send_text(RESIDENT_TG, "Please go with me to the hospital tomorrow morning")
    await confirm_readback(fake)
    _, data = await fake.wait_button(VOLUNTEER_TGS[0], "offer:accept:")
    fake.press(FAR_VOLUNTEER_TG, data)
    refusal = await fake.wait_for(FAR_VOLUNTEER_TG)
    assert refusal.text == texts.get("dialog.button_unknown", "zh")
    fake.press(FAR_VOLUNTEER_TG, signed(FAR_VOLUNTEER_TG, unsigned(data)))
    refusal = await fake.wait_for(FAR_VOLUNTEER_TG, after=1)
    assert refusal.text == texts.get("dialog.not_yours", "zh")
    assert all("3 Garden Road" not in m.text for m in fake.to(FAR_VOLUNTEER_TG))
    rid = int(unsigned(data).rsplit(":", 1)[1])
    with sessions() as session:
        offer_request = session.exec(select(HelpRequest)).first()
    assert offer_request is not None and offer_request.status == "offered"
    assert rid > 0
