"""The outbox sender: delivers core Notification rows to Telegram, losing none."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from datetime import timedelta

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
)
from sqlmodel import Session

from bot.callbacks import signer
from bot.outputs import send_reply
from bot.ratelimit import RateLimiter
from bot.render import keyboard, text_of
from bot.retry import GaveUp, call_with_retry
from bot.wake import OutboxWake
from core.db import session_scope
from core.dialog import delivery
from core.dialog.delivery import Outgoing
from core.models._types import utcnow
from core.settings import Settings

log = logging.getLogger(__name__)

# Within one claim lease (dispatch gives 120 s) we keep retrying ourselves; after that the
# row goes back to the outbox with a later retry time, so a long outage loses nothing.
RETRY_BUDGET_S = 60.0
BLOCKED_RETRY_S = 3600.0


class OutboxSender:
    """Claims due notifications and sends them, within Telegram's rate limits."""

    def __init__(
        self,
        bot: Bot,
        settings: Settings,
        sessions: Callable[[], Session],
        *,
        limiter: RateLimiter | None = None,
        batch: int = 50,
        idle_s: float = 0.3,
        retry_budget_s: float = RETRY_BUDGET_S,
        wake: OutboxWake | None = None,
        max_in_flight: int = 500,
    ) -> None:
        self.bot = bot
        self.settings = settings
        self.sessions = sessions
        self.limiter = limiter or RateLimiter()
        self.batch = batch
        self.idle_s = idle_s
        self.retry_budget_s = retry_budget_s
        self.wake = wake or OutboxWake()
        self.max_in_flight = max_in_flight
        self._queues: dict[int, deque[Outgoing]] = {}
        self._workers: dict[int, asyncio.Task[None]] = {}
        self._in_flight: set[int] = set()
        self.sent = 0
        self.failed = 0

    def _claim(self) -> list[Outgoing]:
        with session_scope(self.sessions) as session:
            return delivery.claim(session, channel="telegram", limit=self.batch)

    def _mark_sent(self, notification_id: int, ref: str | None) -> None:
        with session_scope(self.sessions) as session:
            delivery.sent(session, notification_id=notification_id, channel_ref=ref)

    def _mark_failed(self, notification_id: int, error: str, retry_in_s: float) -> None:
        with session_scope(self.sessions) as session:
            delivery.failed(session, notification_id=notification_id, error=error,
                            retry_at=utcnow() + timedelta(seconds=retry_in_s))

    async def tick(self) -> int:
        """Claim one batch and hand each row to its chat's queue (chats never wait on others)."""
        if len(self._in_flight) >= self.max_in_flight:
            return 0  # back-pressure: slow chats must not hold claimed rows past their lease
        batch = await asyncio.to_thread(self._claim)
        for out in batch:
            if out.chat_id is None:
                await asyncio.to_thread(self._mark_failed, out.notification_id,
                                        "no telegram chat", BLOCKED_RETRY_S)
                continue
            self._in_flight.add(out.notification_id)
            self._queues.setdefault(out.chat_id, deque()).append(out)
            if out.chat_id not in self._workers:
                self._workers[out.chat_id] = asyncio.create_task(self._chat_worker(out.chat_id))
        return len(batch)

    async def _chat_worker(self, chat_id: int) -> None:
        """Send one chat's rows in order; ends when its queue is empty."""
        queue = self._queues[chat_id]
        try:
            while queue:
                out = queue.popleft()
                try:
                    await self._deliver(out)
                finally:
                    self._in_flight.discard(out.notification_id)
        finally:
            # No await between the empty check and these lines: tick() cannot slip in.
            self._queues.pop(chat_id, None)
            self._workers.pop(chat_id, None)

    async def drain(self, timeout: float = 10.0) -> None:
        """Wait for the chat queues to empty (on shutdown); unfinished rows return by lease."""
        workers = list(self._workers.values())
        if not workers:
            return
        _, pending = await asyncio.wait(workers, timeout=timeout)
        for task in pending:
            task.cancel()

    async def _deliver(self, out: Outgoing) -> None:
        assert out.chat_id is not None
        try:
            await self.limiter.acquire(out.chat_id)
            ref = await self._send(out)
        except TelegramForbiddenError as exc:  # the user blocked the bot
            self.failed += 1
            await asyncio.to_thread(self._mark_failed, out.notification_id, str(exc),
                                    BLOCKED_RETRY_S)
            return
        except (GaveUp, TelegramAPIError, OSError) as exc:
            self.failed += 1
            log.warning("notification %s not delivered yet: %s", out.notification_id, exc)
            await asyncio.to_thread(self._mark_failed, out.notification_id, str(exc), 5.0)
            return
        await asyncio.to_thread(self._mark_sent, out.notification_id, ref)
        self.sent += 1

    async def _send(self, out: Outgoing) -> str:
        chat_id = out.chat_id
        assert chat_id is not None
        if out.edit_ref:
            edited = await self._edit(out)
            if edited:
                return out.edit_ref
        message = await send_reply(self.bot, chat_id, out.reply, settings=self.settings,
                                   mode=out.mode, voice_ok=out.voice_ok,
                                   budget_s=self.retry_budget_s)
        return f"{chat_id}:{message.message_id}"

    async def _edit(self, out: Outgoing) -> bool:
        """Replace the earlier offer message; False when it cannot be edited any more."""
        chat, _, message_id = (out.edit_ref or "").partition(":")
        if not (chat.lstrip("-").isdigit() and message_id.isdigit()):
            return False
        text = text_of(out.reply)
        try:
            await call_with_retry(
                lambda: self.bot.edit_message_text(
                    text=text, chat_id=int(chat), message_id=int(message_id),
                    reply_markup=keyboard(out.reply, signer(self.settings, int(chat))),
                ),
                budget_s=self.retry_budget_s,
            )
        except TelegramBadRequest as exc:
            log.info("offer message not edited (%s): sending a new one", exc)
            return False
        return True

    async def run(self, stop_event: asyncio.Event) -> None:
        """Deliver until stop_event is set."""
        while not stop_event.is_set():
            try:
                count = await self.tick()
            except Exception:  # noqa: BLE001 - a database hiccup must not stop delivery
                log.exception("outbox tick failed")
                count = 0
            if count == 0:
                await self._idle(stop_event)
        await self.drain()

    async def _idle(self, stop_event: asyncio.Event) -> None:
        """Wait for a nudge from a handler, the stop signal, or idle_s (other processes)."""
        wake = self.wake.event
        waiters = {asyncio.ensure_future(stop_event.wait()), asyncio.ensure_future(wake.wait())}
        try:
            await asyncio.wait(waiters, timeout=self.idle_s, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()
        wake.clear()
