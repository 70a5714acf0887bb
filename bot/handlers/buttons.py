"""Inline button presses: the signature is checked, then the dialog gets the button's data."""

from __future__ import annotations

import logging
from collections.abc import Callable

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery
from sqlmodel import Session

from bot.callbacks import button_key, verify
from bot.flow import run_turn, user_ref
from bot.inbox import Entry
from bot.menus import MenuCache
from bot.wake import OutboxWake
from core.dialog import Incoming
from core.settings import Settings

log = logging.getLogger(__name__)


async def on_button(
    query: CallbackQuery, bot: Bot, settings: Settings, sessions: Callable[[], Session],
    menus: MenuCache, state: FSMContext, outbox_wake: OutboxWake, inbox: Entry | None = None,
) -> None:
    """Any button: verified data to the dialog; forged or foreign data gets a polite no."""
    # Answer at once so the button stops spinning.
    try:
        await query.answer()
    except TelegramAPIError:
        pass
    message = query.message
    chat_id = message.chat.id if message is not None else query.from_user.id
    data = verify(str(query.data or ""), query.from_user.id, button_key(settings))
    if data is None:
        # Made up, altered, or copied from somebody else's chat: the dialog answers
        # "that button is not in use", and nothing of it reaches the dialog's logic.
        log.info("button with a bad signature from a user refused")
        data = ""
    elif message is not None:
        # Take the buttons away so a second tap (or a screen reader re-reading the
        # message) cannot press them twice.
        try:
            await bot.edit_message_reply_markup(chat_id=chat_id, message_id=message.message_id,
                                                reply_markup=None)
        except TelegramAPIError:
            pass
    await run_turn(bot, chat_id, user_ref(query.from_user), Incoming(kind="button", data=data),
                   settings=settings, sessions=sessions, menus=menus, state=state,
                   wake=outbox_wake, inbox=inbox)


def make_router() -> Router:
    """A fresh router (one per dispatcher, so a restarted bot can build another)."""
    router = Router(name="buttons")
    router.callback_query.register(on_button, F.data)
    return router


router = make_router()
