"""Long polling that loses nothing: updates are stored in the inbox before Telegram is told
(by the next getUpdates offset) that we have them, and unfinished ones are picked up again."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.types import Update
from sqlmodel import Session

from bot import inbox
from bot.middlewares import raw_update
from core.db import session_scope

log = logging.getLogger(__name__)
RECOVER_EVERY_S = 30.0
PRUNE_EVERY_S = 3600.0


class Feeder:
    """Runs each update through the dispatcher as its own task (chats never wait on others)."""

    def __init__(self, bot: Bot, dp: Dispatcher, sessions: Callable[[], Session]) -> None:
        self.bot = bot
        self.dp = dp
        self.sessions = sessions
        self.tasks: set[asyncio.Task[Any]] = set()

    def feed(self, update: Update) -> None:
        """Handle the update in the background (the inbox middleware claims it first)."""
        task = asyncio.create_task(self.dp.feed_update(self.bot, update))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def _due(self, received_for_s: float) -> list[dict[str, Any]]:
        with session_scope(self.sessions) as session:
            return inbox.due(session, received_for_s=received_for_s)

    async def recover(self, *, received_for_s: float) -> int:
        """Feed the inbox's unfinished updates again; how many."""
        raws = await asyncio.to_thread(self._due, received_for_s)
        for raw in raws:
            try:
                self.feed(Update.model_validate(raw, context={"bot": self.bot}))
            except ValueError:
                log.warning("inbox row %s is not an update any more", raw.get("update_id"))
        if raws:
            log.info("picked up %d unfinished updates", len(raws))
        return len(raws)

    async def drain(self, timeout: float) -> None:
        """Wait for the running handlers (on shutdown); the unfinished stay in the inbox."""
        if self.tasks:
            _, pending = await asyncio.wait(set(self.tasks), timeout=timeout)
            for task in pending:
                task.cancel()


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


async def poll(
    bot: Bot, feeder: Feeder, sessions: Callable[[], Session], stop: asyncio.Event, *,
    polling_timeout: int,
) -> None:
    """getUpdates until stop: store each batch, then feed it, then confirm it (next offset)."""
    offset: int | None = None
    backoff = 0.5
    while not stop.is_set():
        call = asyncio.ensure_future(bot.get_updates(
            offset=offset, timeout=polling_timeout, request_timeout=polling_timeout + 30))
        stopper = asyncio.ensure_future(stop.wait())
        await asyncio.wait({call, stopper}, return_when=asyncio.FIRST_COMPLETED)
        stopper.cancel()
        if not call.done():
            call.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await call
            break
        try:
            updates = call.result()
            raws = [raw_update(u) for u in updates]
            if raws:
                await asyncio.to_thread(_store, sessions, bot.id, raws)
        except Exception as exc:  # noqa: BLE001 - Telegram or the database: try again
            log.warning("getUpdates or storing failed (%s): retry in %.1fs",
                        type(exc).__name__, backoff)
            await _wait(stop, backoff)
            backoff = min(backoff * 2, 5.0)
            continue  # the offset did not move: Telegram gives the same updates again
        backoff = 0.5
        for update in updates:
            feeder.feed(update)
        if updates:
            offset = updates[-1].update_id + 1


def _store(sessions: Callable[[], Session], bot_id: int, raws: list[dict[str, Any]]) -> None:
    with session_scope(sessions) as session:
        inbox.store(session, bot_id, raws)


async def housekeeping(feeder: Feeder, sessions: Callable[[], Session],
                       stop: asyncio.Event) -> None:
    """Every RECOVER_EVERY_S: updates left behind (a Telegram outage, a lost lease); every hour:
    prune finished inbox rows."""
    since_prune = PRUNE_EVERY_S
    while not stop.is_set():
        await _wait(stop, RECOVER_EVERY_S)
        if stop.is_set():
            return
        try:
            await feeder.recover(received_for_s=RECOVER_EVERY_S)
            since_prune += RECOVER_EVERY_S
            if since_prune >= PRUNE_EVERY_S:
                since_prune = 0.0
                await asyncio.to_thread(_prune, sessions)
        except Exception:  # noqa: BLE001 - try again next round
            log.exception("inbox housekeeping failed")


def _prune(sessions: Callable[[], Session]) -> None:
    with session_scope(sessions) as session:
        removed = inbox.prune(session)
    if removed:
        log.info("pruned %d finished updates from the inbox", removed)
