"""Each piece of news reaches the resident once, although the dialog answers at once and
dispatch also queues the same news in the outbox (the reply takes the outbox row over)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from sqlmodel import Session, col, select

from core import texts
from core.models import Notification
from tests.bot.conftest import RunningBot
from tests.bot.fake_telegram import FakeTelegram, unsigned
from tests.core.dialog.world import COORDINATOR_TG, RESIDENT_TG, VOLUNTEER_TGS, World

NUMBERS = "120 ambulance, 110 police, 119 fire"


async def outbox_settled(sessions: Callable[[], Session]) -> None:
    """Wait until no notification waits to be sent."""
    deadline = asyncio.get_running_loop().time() + 20
    while True:
        with sessions() as session:
            waiting = session.exec(select(Notification).where(
                col(Notification.status).in_(["pending", "sending"]))).all()
        if not waiting:
            return
        assert asyncio.get_running_loop().time() < deadline, waiting
        await asyncio.sleep(0.05)


async def test_sent_to_volunteers_said_once(
    world: World, fake: FakeTelegram, running: RunningBot, sessions: Callable[[], Session],
) -> None:
    fake.send_text(RESIDENT_TG, "Please go with me to the hospital tomorrow morning")
    readback, confirm = await fake.wait_button(RESIDENT_TG, "req:confirm:")
    fake.press(RESIDENT_TG, confirm, readback.message_id)
    for tg in VOLUNTEER_TGS:
        await fake.wait_button(tg, "offer:accept:")
    await outbox_settled(sessions)
    await asyncio.sleep(0.5)  # a second copy would be on its way by now
    rid = int(unsigned(confirm).rsplit(":", 1)[1])
    sent = texts.get("dialog.request.sent", "en", id=rid,
                     category=texts.get("dialog.cat.escort", "en"))
    offered = texts.get("dispatch.resident.offered", "en",
                        category=texts.get("dialog.cat.escort", "en"))
    news = [m.text for m in fake.to(RESIDENT_TG) if m.text in (sent, offered)]
    assert len(news) == 1, [m.text for m in fake.to(RESIDENT_TG)]


async def test_emergency_numbers_said_once(
    world: World, fake: FakeTelegram, running: RunningBot, sessions: Callable[[], Session],
) -> None:
    fake.send_text(RESIDENT_TG, "Help! My husband collapsed and is not breathing")
    await fake.wait_for(COORDINATOR_TG)
    for tg in VOLUNTEER_TGS:
        await fake.wait_button(tg, "offer:accept:")
    await outbox_settled(sessions)
    await asyncio.sleep(0.5)
    with_numbers = [m.text for m in fake.to(RESIDENT_TG) if "120 ambulance" in m.text]
    assert with_numbers == [texts.get("dialog.emergency", "en", numbers=NUMBERS)]
