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

from bot import inbox
from bot.menus import MenuCache, set_default_commands
from bot.middlewares import FloodGuard, InboxMiddleware
from bot.polling import Feeder, housekeeping, poll
from bot.retry import call_with_retry
from bot.routers import all_routers
from bot.sender import OutboxSender
from bot.storage import DbStorage
from bot.wake import OutboxWake
from core.db import session_scope
from core.dialog import delivery
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
    """A dispatcher with every router; settings and sessions reach handlers as workflow data.

    The inbox middleware runs inside aiogram's FSM middleware, so each update is claimed and
    finished while its chat's lock is held (one update at a time per chat).
    """
    storage, isolation = _storage(settings, sessions)
    dp = Dispatcher(storage=storage, events_isolation=isolation, settings=settings,
                    sessions=sessions, menus=MenuCache(), outbox_wake=OutboxWake())
    dp.update.outer_middleware(InboxMiddleware(sessions))
    dp.message.outer_middleware(FloodGuard())
    dp.include_routers(*all_routers())
    return dp


def _take_over_from_dead_poller(sessions: Callable[[], Session]) -> tuple[int, int]:
    """The one polling bot starts: what its dead predecessor held is free again at once."""
    with session_scope(sessions) as session:
        updates = inbox.reopen_claimed(session)
    with session_scope(sessions) as session:
        notes = delivery.release_claims(session)
    return updates, notes


async def _free_chat_locks(dp: Dispatcher) -> int:
    """Redis chat locks a killed poller held would stall those chats for their whole timeout
    (60 s); the one polling bot starting frees them."""
    from aiogram.fsm.storage.redis import RedisEventIsolation

    isolation = dp.fsm.events_isolation
    if not isinstance(isolation, RedisEventIsolation):
        return 0
    freed = 0
    async for name in isolation.redis.scan_iter(match="fsm:*:lock"):
        freed += int(await isolation.redis.delete(name))
    return freed


async def run_bot(
    settings: Settings,
    sessions: Callable[[], Session],
    *,
    stop_event: asyncio.Event | None = None,
    polling_timeout: int = 10,
) -> None:
    """Long-poll Telegram and deliver the outbox until stop_event is set (or cancelled).

    Polling runs in one process only, so at start it takes over the updates and outbox rows
    a killed predecessor left half-done (see bot.inbox and delivery.release_claims).
    """
    stop_event = stop_event or asyncio.Event()
    bot = build_bot(settings)
    dp = build_dispatcher(settings, sessions)
    sender = OutboxSender(bot, settings, sessions, wake=dp["outbox_wake"])
    feeder = Feeder(bot, dp, sessions)
    try:
        await call_with_retry(lambda: bot.delete_webhook(drop_pending_updates=False),
                              budget_s=300)
        try:
            await set_default_commands(bot)
        except Exception as exc:  # noqa: BLE001 - menus are a nicety; keep serving
            log.warning("default commands not set: %s", exc)
        reopened, released = await asyncio.to_thread(_take_over_from_dead_poller, sessions)
        unlocked = await _free_chat_locks(dp)
        if reopened or released or unlocked:
            log.info("took over %d unfinished updates, %d outbox rows and %d chat locks",
                     reopened, released, unlocked)
        await feeder.recover(received_for_s=0)
        tasks = {
            asyncio.create_task(poll(bot, feeder, sessions, stop_event,
                                     polling_timeout=polling_timeout)),
            asyncio.create_task(sender.run(stop_event)),
            asyncio.create_task(housekeeping(feeder, sessions, stop_event)),
            asyncio.create_task(stop_event.wait()),
        }
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        stop_event.set()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(task, timeout=polling_timeout + 5)
        await feeder.drain(timeout=10)
    finally:
        stop_event.set()
        await dp.storage.close()
        await bot.session.close()
