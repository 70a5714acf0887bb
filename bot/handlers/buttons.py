"""Inline button presses: typed callback data first, then the simple dialog buttons."""

from __future__ import annotations

from collections.abc import Callable

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery
from sqlmodel import Session

from bot.callbacks import TYPED
from bot.flow import run_turn, user_ref
from bot.menus import MenuCache
from bot.wake import OutboxWake
from core.dialog import Incoming
from core.settings import Settings


async def _press(
    query: CallbackQuery, data: str, bot: Bot, settings: Settings,
    sessions: Callable[[], Session], menus: MenuCache, state: FSMContext, outbox_wake: OutboxWake,
) -> None:
    # Answer at once so the button stops spinning, and take the buttons away so a second
    # tap (or a screen reader re-reading the message) cannot press them twice.
    try:
        await query.answer()
    except TelegramAPIError:
        pass
    message = query.message
    chat_id = message.chat.id if message is not None else query.from_user.id
    if message is not None:
        try:
            await bot.edit_message_reply_markup(chat_id=chat_id, message_id=message.message_id,
                                                reply_markup=None)
        except TelegramAPIError:
            pass
    await run_turn(bot, chat_id, user_ref(query.from_user), Incoming(kind="button", data=data),
                   settings=settings, sessions=sessions, menus=menus, state=state, wake=outbox_wake)


def _typed_handler(router: Router, cls: type[CallbackData]) -> None:
    async def handler(
        query: CallbackQuery, callback_data: CallbackData, bot: Bot, settings: Settings,
        sessions: Callable[[], Session], menus: MenuCache, state: FSMContext,
        outbox_wake: OutboxWake,
    ) -> None:
        await _press(query, callback_data.pack(), bot, settings, sessions, menus, state,
                     outbox_wake)

    handler.__name__ = f"on_{cls.__prefix__}"  # type: ignore[attr-defined]
    router.callback_query.register(handler, cls.filter())


async def on_button(
    query: CallbackQuery, bot: Bot, settings: Settings, sessions: Callable[[], Session],
    menus: MenuCache, state: FSMContext, outbox_wake: OutboxWake,
) -> None:
    """Any other dialog button ("lang:zh", "skip:area"…)."""
    await _press(query, str(query.data), bot, settings, sessions, menus, state, outbox_wake)


def make_router() -> Router:
    """A fresh router (one per dispatcher, so a restarted bot can build another)."""
    router = Router(name="buttons")
    for cls in TYPED:
        _typed_handler(router, cls)
    router.callback_query.register(on_button, F.data)
    return router


router = make_router()
