"""Update middlewares: the inbox (each update handled once, failures answered politely) and
the flood guard (a person sending too much too fast is asked, once, to slow down)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.exceptions import TelegramNetworkError, TelegramRetryAfter, TelegramServerError
from aiogram.fsm.context import FSMContext
from aiogram.types import Message, TelegramObject, Update
from sqlmodel import Session

from bot import inbox
from bot.retry import GaveUp, call_with_retry
from core import texts
from core.db import session_scope

log = logging.getLogger(__name__)
Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]
# Telegram itself is unreachable: the update stays claimed and is finished after the lease.
TELEGRAM_DOWN = (GaveUp, TelegramNetworkError, TelegramServerError, TelegramRetryAfter)


def _chat_and_lang(update: Update) -> tuple[int | None, str | None]:
    event = update.event
    user = getattr(event, "from_user", None)
    chat = getattr(event, "chat", None)
    if chat is None and isinstance(getattr(event, "message", None), Message):
        chat = event.message.chat  # type: ignore[union-attr]
    chat_id = chat.id if chat is not None else (user.id if user is not None else None)
    return chat_id, getattr(user, "language_code", None)


class InboxMiddleware(BaseMiddleware):
    """Claim the update in the inbox, run the handlers, mark it finished."""

    def __init__(self, sessions: Callable[[], Session]) -> None:
        self.sessions = sessions

    def _claim(self, key: str, update: Update) -> inbox.Entry | None:
        with session_scope(self.sessions) as session:
            return inbox.claim(session, key, update.update_id, lambda: raw_update(update))

    def _finish(self, key: str, outcome: str) -> None:
        with session_scope(self.sessions) as session:
            inbox.finish(session, key, outcome)

    async def __call__(self, handler: Handler, event: TelegramObject,
                       data: dict[str, Any]) -> Any:
        """Run the handlers once per update, whatever happens."""
        assert isinstance(event, Update)
        bot: Bot = data["bot"]
        key = inbox.key_for(bot.id, event.update_id)
        entry = await asyncio.to_thread(self._claim, key, event)
        if entry is None:
            log.info("update %s is finished or in hand elsewhere: skipped", event.update_id)
            return UNHANDLED
        data["inbox"] = entry
        try:
            result = await handler(event, data)
        except TELEGRAM_DOWN as exc:
            log.warning("update %s: Telegram unreachable (%s); finished later",
                        event.update_id, type(exc).__name__)
            return UNHANDLED
        except Exception:
            log.exception("update %s failed; kept in the inbox as failed", event.update_id)
            await asyncio.to_thread(self._finish, key, "failed")
            await self._apologise(bot, event)
            return UNHANDLED
        await asyncio.to_thread(self._finish, key, entry.outcome)
        return result

    async def _apologise(self, bot: Bot, update: Update) -> None:
        """'Sorry, something went wrong; your message is saved' in the user's language."""
        chat_id, lang = _chat_and_lang(update)
        if chat_id is None:
            return
        text = texts.get("error.generic", texts.normalise_lang(lang))
        try:
            await call_with_retry(lambda: bot.send_message(chat_id, text), budget_s=10)
        except Exception as exc:  # noqa: BLE001 - nothing more we can do here
            log.warning("apology not sent: %s", type(exc).__name__)


def raw_update(update: Update) -> dict[str, Any]:
    """The update as Telegram sent it (JSON), for the inbox."""
    return update.model_dump(mode="json", exclude_none=True, by_alias=True)


class FloodGuard(BaseMiddleware):
    """At most `limit` messages per person in `window_s`; more are not handled.

    The first message over the limit gets one 'please slow down' (with the emergency
    numbers); the rest of the window gets nothing. Every message is still in the inbox
    (marked throttled), so a person can look at them. Kept in the FSM data, so it holds
    across bot processes (Redis storage) and restarts.
    """

    def __init__(self, *, limit: int = 15, window_s: float = 60.0,
                 clock: Callable[[], float] = time.time) -> None:
        self.limit = limit
        self.window_s = window_s
        self.clock = clock

    async def __call__(self, handler: Handler, event: TelegramObject,
                       data: dict[str, Any]) -> Any:
        """Count the message; hand it on, or stop it (telling the person once per window)."""
        state: FSMContext | None = data.get("state")
        if state is None or not isinstance(event, Message):
            return await handler(event, data)
        now = self.clock()
        start, count, warned = (await state.get_data()).get("flood") or (0.0, 0, False)
        if now - float(start) >= self.window_s:
            start, count, warned = now, 0, False
        count = int(count) + 1
        over = count > self.limit
        await state.update_data(flood=[start, count, bool(warned or over)])
        if not over:
            return await handler(event, data)
        entry: inbox.Entry | None = data.get("inbox")
        if entry is not None:
            entry.outcome = "throttled"
        if warned:
            return UNHANDLED
        from bot.flow import run_turn, user_ref
        from core.dialog import Incoming

        assert event.from_user is not None
        await run_turn(data["bot"], event.chat.id, user_ref(event.from_user),
                       Incoming(kind="flood"), settings=data["settings"],
                       sessions=data["sessions"], state=state, inbox=entry)
        return None
