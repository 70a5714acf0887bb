"""Restarts, floods of 429 and 500 answers, dropped connections: nothing is lost."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from sqlmodel import Session, col, select

from bot.ratelimit import RateLimiter
from bot.runner import build_bot
from bot.sender import OutboxSender
from core import texts
from core.models import ConversationState, Notification
from core.settings import Settings
from tests.bot.conftest import RunningBot
from tests.bot.fake_telegram import FakeTelegram
from tests.core.dialog.world import RESIDENT_TG, VOLUNTEER_TGS, World

NEW_USER = 5555


async def test_restart_in_the_middle_of_onboarding(
    world: World, fake: FakeTelegram, bot_settings: Settings, sessions: Callable[[], Session]
) -> None:
    """The bot stops after the language step; a new bot process asks the next step."""
    first = await RunningBot(bot_settings, sessions).start()
    fake.send_text(NEW_USER, "/start")
    message, data = await fake.wait_button(NEW_USER, "lang:en")
    assert fake.to(NEW_USER)[0].text == texts.get("dialog.welcome", "en")
    fake.press(NEW_USER, data, message.message_id)
    mode_question, _ = await fake.wait_button(NEW_USER, "mode:voice")
    await first.stop()

    second = await RunningBot(bot_settings, sessions).start()
    try:
        # The button of the message the first bot process sent, pressed after the restart.
        large = next(d for d in mode_question.data() if d.startswith("mode:large_text"))
        fake.press(NEW_USER, large, mode_question.message_id)
        await fake.wait_for(NEW_USER, lambda m: m.text == texts.get("dialog.ask.disability",
                                                                    "en"))
        # Large-text mode from now on: replies come as a card photo, the text as its caption.
        fake.send_text(NEW_USER, "/start")
        again = await fake.wait_for(
            NEW_USER, lambda m: m.text == texts.get("dialog.onboarding.continue", "en"))
        assert again.kind == "photo" and again.size > 1000
    finally:
        await second.stop()
    with sessions() as session:
        row = session.get(ConversationState, f"telegram:{NEW_USER}")
        assert row is not None and row.state == "onb:dis"
        # aiogram's own FSM data lives in the database too.
        fsm = session.exec(select(ConversationState).where(
            col(ConversationState.key).startswith("aiogram:"))).all()
        assert fsm


def _queue(sessions: Callable[[], Session], count: int) -> list[int]:
    ids = []
    with sessions() as session:
        for n in range(count):
            tg_kind = ("resident", 1) if n % 2 == 0 else ("volunteer", 1 + (n // 2) % 2)
            row = Notification(recipient_kind=tg_kind[0], recipient_id=tg_kind[1],
                               key="dialog.request.stored", values={"id": 100 + n},
                               dedupe_key=f"test-{n}")
            session.add(row)
            session.flush()
            ids.append(row.id or 0)
        session.commit()
    return ids


async def test_429_500_and_drops_lose_nothing(
    world: World, fake: FakeTelegram, bot_settings: Settings, sessions: Callable[[], Session]
) -> None:
    """A period of 429s, 500s and dropped connections: every notification arrives."""
    ids = _queue(sessions, 12)
    fake.fail("429", times=4, methods={"sendMessage"}, retry_after=1)
    fake.fail("500", times=4, methods={"sendMessage"})
    fake.fail("drop", times=2, methods={"sendMessage"})
    bot = build_bot(bot_settings)
    sender = OutboxSender(bot, bot_settings, sessions,
                          limiter=RateLimiter(per_chat_hz=20, global_hz=30))
    stop = asyncio.Event()
    task = asyncio.create_task(sender.run(stop))
    try:
        deadline = asyncio.get_running_loop().time() + 40
        while asyncio.get_running_loop().time() < deadline:
            with sessions() as session:
                states = session.exec(select(Notification.status).where(
                    col(Notification.id).in_(ids))).all()
            if all(s == "sent" for s in states):
                break
            await asyncio.sleep(0.1)
    finally:
        stop.set()
        await task
        await bot.session.close()
    assert {kind for _, kind in fake.failed_calls} == {"429", "500", "drop"}
    assert len(fake.failed_calls) == 10
    delivered = [m.text for m in fake.sent]
    for n in range(12):
        # The resident reads English; the volunteers' first language is Chinese.
        lang = "en" if n % 2 == 0 else "zh"
        assert texts.get("dialog.request.stored", lang, id=100 + n) in delivered
    with sessions() as session:
        rows = session.exec(select(Notification).where(col(Notification.id).in_(ids))).all()
    assert all(r.status == "sent" and r.channel_ref for r in rows)
    # Each chat got its messages in the order they were queued.
    resident_numbers = [int(t.split()[3]) for t in (m.text for m in fake.to(RESIDENT_TG))
                        if t.startswith("Your request number")]
    assert resident_numbers == sorted(resident_numbers)
    assert {m.chat_id for m in fake.sent} == {RESIDENT_TG, *VOLUNTEER_TGS}


async def test_replies_survive_a_server_hiccup(
    world: World, fake: FakeTelegram, running: RunningBot
) -> None:
    """A direct reply hit by 500s and a 429 is retried until it is delivered."""
    fake.fail("500", times=2, methods={"sendMessage"})
    fake.fail("429", times=1, methods={"sendMessage"}, retry_after=1)
    fake.send_text(RESIDENT_TG, "/my")
    reply = await fake.wait_for(RESIDENT_TG, timeout=20)
    assert reply.text == texts.get("dialog.status.none", "en")


async def test_photo_of_a_letter_is_a_reading_request(
    world: World, fake: FakeTelegram, running: RunningBot, sessions: Callable[[], Session],
    bot_settings: Settings,
) -> None:
    """A photo without words becomes a reading request with the photo kept."""
    from core.models import HelpRequest

    fake.send_photo(RESIDENT_TG, b"\xff\xd8\xff\xe0fake-jpeg")
    await fake.wait_for(RESIDENT_TG, lambda m: bool(m.data()))
    with sessions() as session:
        request = session.exec(select(HelpRequest)).one()
    assert request.category == "reading"
    assert request.photo_path and request.photo_path.startswith(str(bot_settings.media_dir))
