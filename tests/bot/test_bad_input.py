"""Bad input through the fake Telegram server: a polite answer in the person's language for
each, and nothing lost (every update is in the inbox before anything else happens)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from sqlmodel import Session, col, select

from bot import inbox
from core import texts
from core.models import ConversationState, Event, HelpRequest, Offer, Resident
from core.settings import Settings
from tests.bot.conftest import RunningBot
from tests.bot.fake_telegram import BOT_USER, FakeTelegram, signed, unsigned
from tests.core.dialog.world import RESIDENT_TG, VOLUNTEER_TGS, World

BIG = 25 * 1024 * 1024  # over Telegram's 20 MB fetch limit
Sessions = Callable[[], Session]


def inbox_rows(sessions: Sessions) -> dict[int, ConversationState]:
    """Inbox rows by update id."""
    with sessions() as session:
        rows = session.exec(select(ConversationState).where(
            col(ConversationState.key).startswith(inbox.PREFIX))).all()
    return {int(r.key.rsplit(":", 1)[1]): r for r in rows}


def requests(sessions: Sessions) -> list[HelpRequest]:
    """Every stored request, oldest first."""
    with sessions() as session:
        return list(session.exec(select(HelpRequest).order_by(col(HelpRequest.id))).all())


def text(key: str, lang: str, **values: Any) -> str:
    """A text as the bot shows it."""
    return texts.get(key, lang, **values)


async def settle(fake: FakeTelegram, sessions: Sessions, ids: list[int]) -> None:
    """Wait until the inbox has finished every given update."""
    deadline = asyncio.get_running_loop().time() + 20
    while True:
        rows = inbox_rows(sessions)
        if all(i in rows and rows[i].state not in ("received", "work") for i in ids):
            return
        assert asyncio.get_running_loop().time() < deadline, {i: rows.get(i) for i in ids}
        await asyncio.sleep(0.05)


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_sticker_file_pin_and_huge_voice_get_polite_answers(
    lang: str, world: World, fake: FakeTelegram, running: RunningBot, sessions: Sessions,
) -> None:
    """Each answered once, in the person's language; the updates kept; no request made, and
    the 25 MB voice note never fetched (its size came with the message)."""
    user = 5600 if lang == "en" else 5601
    ids = [
        fake.send_sticker(user, lang=lang),
        fake.send_document(user, b"%PDF-1.4 letter", "letter.pdf", "application/pdf",
                           lang=lang),
        fake.send_location(user, 22.54, 114.05, lang=lang),
        fake.send_voice(user, b"OggS", lang=lang, duration=3000, size=BIG),
    ]
    await settle(fake, sessions, ids)
    said = [m.text for m in fake.to(user)]
    assert said == [
        text("dialog.input.sticker", lang),
        text("dialog.input.file", lang),
        text("dialog.input.location", lang),
        text("dialog.input.voice_too_big", lang, minutes=50),
    ]
    rows = inbox_rows(sessions)
    assert [rows[i].state for i in ids] == ["done", "done", "done", "too_big"]
    kept = [rows[i].data["update"]["message"] for i in ids]
    assert "sticker" in kept[0] and "document" in kept[1] and "location" in kept[2]
    assert kept[3]["voice"]["file_size"] == BIG  # the record of what was sent
    assert requests(sessions) == []
    assert fake.downloads == [] and fake.method_calls("getFile") == []


async def test_huge_voice_without_size_is_asked_about_not_fetched(
    world: World, fake: FakeTelegram, running: RunningBot, sessions: Sessions,
) -> None:
    """No size in the message: getFile (metadata only) says it is too big; nothing fetched."""
    update = fake.send_voice(RESIDENT_TG, b"OggS", duration=0, size=BIG, size_in_message=False)
    reply = await fake.wait_for(RESIDENT_TG)
    await settle(fake, sessions, [update])
    assert reply.text == text("dialog.input.voice_too_big_size", "en", limit=20)
    assert fake.downloads == [] and requests(sessions) == []
    assert inbox_rows(sessions)[update].state == "too_big"


async def test_file_words_are_used_and_images_read(
    world: World, fake: FakeTelegram, running: RunningBot, sessions: Sessions,
    bot_settings: Settings,
) -> None:
    """A file's caption is the request; an image sent as a file is a reading request."""
    fake.send_document(RESIDENT_TG, b"PK\x03\x04", "form.docx", "application/msword",
                       caption="I need help with shopping on Saturday morning")
    await fake.wait_for(RESIDENT_TG, lambda m: bool(m.data()))
    assert fake.to(RESIDENT_TG)[0].text == text("dialog.input.file_words", "en")
    assert [r.text for r in requests(sessions)] == ["I need help with shopping on Saturday morning"]
    count = len(fake.to(RESIDENT_TG))
    fake.send_document(RESIDENT_TG, b"\xff\xd8\xff\xe0jpeg", "letter.jpg", "image/jpeg")
    await fake.wait_for(RESIDENT_TG, lambda m: bool(m.data()), after=count)
    photo = requests(sessions)[-1]
    assert photo.category == "reading"
    assert photo.photo_path and photo.photo_path.startswith(str(bot_settings.media_dir))


async def test_a_place_helps_where_a_place_is_asked(
    world: World, fake: FakeTelegram, running: RunningBot, sessions: Sessions,
) -> None:
    """In the area step a bare pin gets 'type the name' (and the question again); a venue's
    name is used like typed words."""
    user = 5610
    fake.send_text(user, "/start")
    for prefix in ("lang:en", "skip:mode", "skip:dis"):
        message, data = await fake.wait_button(user, prefix, after=len(fake.to(user)) - 2)
        fake.press(user, data, message.message_id)
    await fake.wait_button(user, "skip:area")
    count = len(fake.to(user))
    fake.send_location(user, 22.5, 114.0)
    pin = await fake.wait_for(user, after=count)
    assert pin.text == text("dialog.input.location_area", "en")
    await fake.wait_button(user, "skip:area", after=count)
    count = len(fake.to(user))
    fake.send_location(user, 22.5, 114.0, title="Garden Community", address="Sunshine Street")
    await fake.wait_button(user, "consent:yes", after=count)
    assert fake.to(user)[count].text == text("dialog.area_set", "en", name="Garden Community")
    with sessions() as session:
        resident = session.exec(select(Resident).where(Resident.telegram_id == user)).one()
    assert resident.area_id == world.community


async def test_forged_replayed_and_foreign_buttons(
    world: World, fake: FakeTelegram, running: RunningBot, sessions: Sessions,
) -> None:
    """Made-up, altered or copied data is refused before the dialog; an old Confirm pressed
    again says where the request stands; a resident pressing Accept (even with a validly
    signed button) is refused; nothing changes."""
    fake.send_text(RESIDENT_TG, "Please go with me to the hospital tomorrow morning")
    readback, confirm = await fake.wait_button(RESIDENT_TG, "req:confirm:")
    fake.press(RESIDENT_TG, confirm, readback.message_id)
    offer_message, accept = await fake.wait_button(VOLUNTEER_TGS[0], "offer:accept:")
    rid = int(unsigned(confirm).rsplit(":", 1)[1])
    offer_id = int(unsigned(accept).rsplit(":", 1)[1])
    await fake.wait_for(RESIDENT_TG, lambda m: str(rid) in m.text and not m.data(), after=1)
    before = len(fake.to(RESIDENT_TG))

    forged = [
        f"offer:accept:{offer_id}",  # no signature at all
        unsigned(accept) + "|AAAAAAAAAAA",  # a made-up signature
        unsigned(confirm).replace("confirm", "cancel") + confirm[len(unsigned(confirm)):],
        accept,  # a volunteer's button, pressed in the resident's chat
        "nonsense",
    ]
    for data in forged:
        fake.press(RESIDENT_TG, data)
    fake.press(RESIDENT_TG, confirm, readback.message_id)  # the old Confirm again
    fake.press(RESIDENT_TG, signed(RESIDENT_TG, f"offer:accept:{offer_id}"))
    await fake.wait_for(RESIDENT_TG, after=before + len(forged) + 1)
    said = [m.text for m in fake.to(RESIDENT_TG)[before:]]
    assert said == [text("dialog.button_unknown", "en")] * len(forged) + [
        text("dialog.request.already", "en", id=rid,
             status=text("dialog.status_name.offered", "en")),
        text("dialog.not_yours", "en"),
    ]
    with sessions() as session:
        offer = session.get(Offer, offer_id)
        request = session.get(HelpRequest, rid)
        offered = session.exec(select(Event).where(Event.request_id == rid)
                               .where(Event.to_status == "offered")).all()
    assert offer is not None and offer.state == "pending"
    assert request is not None and request.status == "offered"
    assert len(offered) == 1  # the old Confirm did not offer it again
    assert offer_message.data()  # the real offer still has its buttons


async def test_a_flood_is_slowed_down_once(
    world: World, fake: FakeTelegram, running: RunningBot, sessions: Sessions,
) -> None:
    """100 messages at once: the first 15 handled, one 'please slow down', the rest kept in
    the inbox as throttled; after the window the person is answered again."""
    ids = [fake.send_text(RESIDENT_TG, f"I need help with shopping number {n}")
           for n in range(100)]
    await settle(fake, sessions, ids)
    said = [m.text for m in fake.to(RESIDENT_TG)]
    slow = text("dialog.input.slow_down", "en", numbers="120 ambulance, 110 police, 119 fire")
    assert said.count(slow) == 1
    assert len(said) == 15 + 1
    rows = inbox_rows(sessions)
    assert sorted(rows[i].state for i in ids) == ["done"] * 15 + ["throttled"] * 85
    assert len(requests(sessions)) == 15
    # A minute later (the window moved back in the stored FSM data) all is normal again.
    with sessions() as session:
        fsm = session.exec(select(ConversationState).where(
            col(ConversationState.key).startswith("aiogram:"))
            .where(col(ConversationState.key).contains(str(RESIDENT_TG)))).one()
        start, count, warned = fsm.data["flood"]
        fsm.data = {**fsm.data, "flood": [start - 61, count, warned]}
        session.add(fsm)
        session.commit()
    fake.send_text(RESIDENT_TG, "/my")
    status = await fake.wait_for(RESIDENT_TG, after=len(said))
    # /my lists the newest ten open requests.
    assert status.text.startswith(text("dialog.status.list", "en", count=10, items=""))
    assert BOT_USER["id"] not in [m.chat_id for m in fake.sent]
