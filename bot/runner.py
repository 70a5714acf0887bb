"""Building and running the Telegram bot: long polling plus the outbox sender."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage
from aiogram.fsm.storage.memory import SimpleEventIsolation
from sqlmodel import Session

from bot.menus import MenuCache, set_default_commands
from bot.retry import call_with_retry
from bot.routers import all_routers
from bot.sender import OutboxSender
from bot.storage import DbStorage
from bot.wake import OutboxWake
from core.settings import Settings

log = logging.getLogger(__name__)


def build_bot(settings: Settings) -> Bot:
    """A Bot talking to settings.telegram_api_base (a local fake in tests)."""
    if settings.telegram_bot_token is None:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_base))
    return Bot(token=settings.telegram_bot_token.get_secret_value(), session=session)


def _storage(settings: Settings, sessions: Callable[[], Session]) -> tuple[
    BaseStorage, BaseEventIsolation
]:
    if settings.redis_url:
        from aiogram.fsm.storage.redis import RedisEventIsolation, RedisStorage

        storage = RedisStorage.from_url(settings.redis_url)
        return storage, RedisEventIsolation(redis=storage.redis)
    # One update at a time per chat: two quick messages must not race on the dialog state.
    return DbStorage(sessions), SimpleEventIsolation()


def build_dispatcher(settings: Settings, sessions: Callable[[], Session]) -> Dispatcher:
    """A dispatcher with every router; settings and sessions reach handlers as workflow data."""
    storage, isolation = _storage(settings, sessions)
    dp = Dispatcher(storage=storage, events_isolation=isolation, settings=settings,
                    sessions=sessions, menus=MenuCache(), outbox_wake=OutboxWake())
    dp.include_routers(*all_routers())
    return dp


async def run_bot(
    settings: Settings,
    sessions: Callable[[], Session],
    *,
    stop_event: asyncio.Event | None = None,
    polling_timeout: int = 10,
) -> None:
    """Long-poll Telegram and deliver the outbox until stop_event is set (or cancelled)."""
    stop_event = stop_event or asyncio.Event()
    bot = build_bot(settings)
    dp = build_dispatcher(settings, sessions)
    sender = OutboxSender(bot, settings, sessions, wake=dp["outbox_wake"])
    try:
        await call_with_retry(lambda: bot.delete_webhook(drop_pending_updates=False),
                              budget_s=300)
        try:
            await set_default_commands(bot)
        except Exception as exc:  # noqa: BLE001 - menus are a nicety; keep serving
            log.warning("default commands not set: %s", exc)
        polling = asyncio.create_task(
            dp.start_polling(bot, handle_signals=False, close_bot_session=False,
                             polling_timeout=polling_timeout)
        )
        sending = asyncio.create_task(sender.run(stop_event))
        stopper = asyncio.create_task(stop_event.wait())
        await asyncio.wait({polling, sending, stopper}, return_when=asyncio.FIRST_COMPLETED)
        stop_event.set()
        with contextlib.suppress(RuntimeError):
            await dp.stop_polling()
        for task in (polling, sending, stopper):
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(task, timeout=polling_timeout + 5)
    finally:
        stop_event.set()
        await dp.storage.close()
        await bot.session.close()
