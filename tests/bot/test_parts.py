"""Smaller parts of the bot: callback data, rate limits, FSM storage, menus, the webhook."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import httpx
import pytest
from aiogram.fsm.storage.base import StorageKey
from fastapi import FastAPI
from pydantic import SecretStr
from sqlmodel import Session

from bot.callbacks import (
    MAX_DATA,
    CategoryCb,
    FeedbackFromDispatchCb,
    HoursCb,
    OfferCb,
    button_key,
    parse,
    sign,
    verify,
)
from bot.menus import commands_for
from bot.ratelimit import RateLimiter
from bot.render import keyboard, text_of
from bot.runner import build_bot, build_dispatcher
from bot.storage import DbStorage
from bot.webhook import SECRET_HEADER, make_webhook_router
from core import texts
from core.dialog import Reply, ReplyButton
from core.settings import Settings
from tests.bot.fake_telegram import FakeTelegram
from tests.core.dialog.world import RESIDENT_TG, World


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("offer:accept:17", OfferCb(action="accept", id=17)),
        ("cat:escort:4", CategoryCb(category="escort", id=4)),
        ("hours:9:0.5", HoursCb(id=9, hours="0.5")),
        ("feedback:3:5", FeedbackFromDispatchCb(id=3, rating=5)),
        ("lang:zh", None),
        ("offer:accept:x", None),
    ],
)
def test_callback_data_round_trip(data: str, expected: object) -> None:
    """Typed callback data pack to exactly the dialog's button strings."""
    parsed = parse(data)
    assert parsed == expected
    if parsed is not None:
        assert parsed.pack() == data


@pytest.mark.parametrize(
    ("pressed", "chat", "expected"),
    [
        ("good", 7, "offer:accept:17"),
        ("good", 8, None),  # the same button pressed in another chat
        ("altered", 7, None),  # data changed, signature kept
        ("bare", 7, None),  # no signature at all
        ("other_key", 7, None),  # signed under another secret
    ],
)
def test_button_signatures(pressed: str, chat: int, expected: str | None) -> None:
    """Only data this bot signed for this chat comes back; everything fits in 64 bytes."""
    key = button_key(Settings(telegram_bot_token=SecretStr("1:A")))
    other = button_key(Settings(telegram_bot_token=SecretStr("1:A"), secret_key=SecretStr("k")))
    good = sign("offer:accept:17", 7, key)
    data = {"good": good, "altered": good.replace("17", "18"), "bare": "offer:accept:17",
            "other_key": sign("offer:accept:17", 7, other)}[pressed]
    assert verify(data, chat, key) == expected
    longest = sign("x" * MAX_DATA, 7, key)
    assert len(longest.encode()) == 64
    with pytest.raises(ValueError):
        sign("x" * (MAX_DATA + 1), 7, key)


def test_render_labels_in_words() -> None:
    """Buttons are labelled from texts; data stays short."""
    reply = Reply(key="dialog.readback", lang="en", values={
        "category": "escort", "when": "now", "where": "here", "text": "hi"},
        buttons=[[ReplyButton(key="dialog.btn.confirm", data="req:confirm:1")]])
    markup = keyboard(reply)
    assert markup is not None
    assert markup.inline_keyboard[0][0].text == texts.get("dialog.btn.confirm", "en")
    assert "{" not in text_of(reply)


async def test_rate_limiter_spaces_one_chat() -> None:
    """Three messages to one chat at 20/s take at least 0.1 s; other chats are not held up."""
    limiter = RateLimiter(per_chat_hz=20, global_hz=1000)
    start = time.monotonic()
    for _ in range(3):
        await limiter.acquire(1)
    assert time.monotonic() - start >= 0.09
    start = time.monotonic()
    await limiter.acquire(2)
    assert time.monotonic() - start < 0.05


async def test_rate_limiter_global_cap() -> None:
    """At most global_hz messages in any second overall."""
    limiter = RateLimiter(per_chat_hz=1000, global_hz=5)
    start = time.monotonic()
    await asyncio.gather(*(limiter.acquire(chat) for chat in range(6)))
    assert time.monotonic() - start >= 0.9


async def test_db_storage_round_trip(sessions: Callable[[], Session]) -> None:
    """FSM state and data are stored in the database and read back by a new storage."""
    key = StorageKey(bot_id=1, chat_id=2, user_id=2)
    storage = DbStorage(sessions)
    await storage.set_state(key, "asking")
    await storage.set_data(key, {"keyboard_message": 12})
    again = DbStorage(sessions)
    assert await again.get_state(key) == "asking"
    assert await again.get_data(key) == {"keyboard_message": 12}
    assert await again.get_state(StorageKey(bot_id=1, chat_id=3, user_id=3)) is None


def test_menus_per_role() -> None:
    """Volunteers see duty and me; coordinators queue; descriptions in the language."""
    vol = [c.command for c in commands_for(["volunteer"], "en")]
    assert "duty" in vol and "me" in vol and "queue" not in vol
    coord = commands_for(["coordinator", "volunteer"], "zh")
    assert coord[0].command == "queue"
    assert coord[0].description == texts.get("bot.cmd.queue", "zh")


async def test_webhook_checks_the_secret(
    world: World, fake: FakeTelegram, bot_settings: Settings, sessions: Callable[[], Session]
) -> None:
    """Without the secret header: 403; with it, the update is handled and answered."""
    settings = bot_settings.model_copy(update={"telegram_webhook_secret": SecretStr("s3cret")})
    bot = build_bot(settings)
    dp = build_dispatcher(settings, sessions)
    app = FastAPI()
    app.include_router(make_webhook_router(settings, sessions, bot=bot, dispatcher=dp))
    update = {"update_id": 1, "message": {
        "message_id": 5, "date": 0, "chat": {"id": RESIDENT_TG, "type": "private"},
        "from": {"id": RESIDENT_TG, "is_bot": False, "first_name": "W", "language_code": "en"},
        "text": "/my", "entities": [{"type": "bot_command", "offset": 0, "length": 3}]}}
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            denied = await client.post("/telegram/webhook", json=update)
            assert denied.status_code == 403
            wrong = await client.post("/telegram/webhook", json=update,
                                      headers={SECRET_HEADER: "nope"})
            assert wrong.status_code == 403
            bad = await client.post("/telegram/webhook", json={"nope": 1},
                                    headers={SECRET_HEADER: "s3cret"})
            assert bad.status_code == 400
            ok = await client.post("/telegram/webhook", json=update,
                                   headers={SECRET_HEADER: "s3cret"})
            assert ok.status_code == 200
        reply = await fake.wait_for(RESIDENT_TG)
        assert reply.text == texts.get("dialog.status.none", "en")
    finally:
        await bot.session.close()


@pytest.mark.voice
async def test_voice_mode_speaks_but_never_to_deaf_people(
    world: World, fake: FakeTelegram, sessions: Callable[[], Session], bot_settings: Settings,
) -> None:
    """Voice mode: the text and a voice note; a deaf resident in voice mode: text only."""
    from core.models import Resident
    from tests.bot.conftest import RunningBot

    with sessions() as session:
        resident = session.get(Resident, world.resident)
        assert resident is not None
        resident.mode = "voice"
        deaf = session.get(Resident, world.cared_for)
        assert deaf is not None
        deaf.mode, deaf.disability_types, deaf.telegram_id = "voice", ["hearing"], 4242
        session.add_all([resident, deaf])
        session.commit()
    running = await RunningBot(bot_settings, sessions).start()
    try:
        fake.send_text(RESIDENT_TG, "/my")
        voice = await fake.wait_for(RESIDENT_TG, lambda m: m.kind == "voice", timeout=30)
        assert voice.size > 500
        assert fake.to(RESIDENT_TG)[0].text == texts.get("dialog.status.none", "en")
        fake.send_text(4242, "/my")
        await fake.wait_for(4242, timeout=30)
        fake.send_text(4242, "/help")
        await fake.wait_for(4242, after=1, timeout=30)
        await asyncio.sleep(0.3)
        assert all(m.kind == "text" for m in fake.to(4242))
    finally:
        await running.stop()


async def test_webhook_lifespan_registers_and_sends(
    world: World, fake: FakeTelegram, bot_settings: Settings, sessions: Callable[[], Session]
) -> None:
    """In webhook mode the app's lifespan sets the webhook and runs the outbox sender."""
    from core.models import Notification

    settings = bot_settings.model_copy(update={
        "telegram_webhook_secret": SecretStr("s3cret"),
        "telegram_webhook_url": "https://lightwing.example"})
    with sessions() as session:
        session.add(Notification(recipient_kind="resident", recipient_id=world.resident,
                                 key="dialog.request.stored", values={"id": 7},
                                 dedupe_key="webhook-test"))
        session.commit()
    app = FastAPI()
    app.include_router(make_webhook_router(settings, sessions))
    async with app.router.lifespan_context(app):
        delivered = await fake.wait_for(RESIDENT_TG, timeout=10)
    assert delivered.text == texts.get("dialog.request.stored", "en", id=7)
    hooks = fake.method_calls("setWebhook")
    assert hooks and hooks[0]["url"] == "https://lightwing.example/telegram/webhook"
    assert hooks[0]["secret_token"] == "s3cret"
