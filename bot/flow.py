"""One turn for a Telegram user: call core.dialog off the loop, then send the replies."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from aiogram import Bot
from aiogram.enums import ChatAction
from aiogram.exceptions import TelegramAPIError
from aiogram.fsm.context import FSMContext
from aiogram.types import User
from aiogram.utils.chat_action import ChatActionSender
from sqlmodel import Session

from bot import inbox as inbox_rows
from bot.inbox import Entry
from bot.menus import MenuCache
from bot.outputs import send_reply
from bot.wake import OutboxWake
from core.db import session_scope
from core.dialog import Incoming, Turn, UserRef, handle_turn
from core.settings import Settings

log = logging.getLogger(__name__)


def user_ref(user: User) -> UserRef:
    """The dialog's view of a Telegram user."""
    name = " ".join(p for p in (user.first_name, user.last_name) if p) or user.username
    return UserRef(channel="telegram", external_id=str(user.id), lang_hint=user.language_code,
                   name=name)


def _mark_sent(sessions: Callable[[], Session], key: str, sent: int) -> None:
    with session_scope(sessions) as session:
        inbox_rows.mark_sent(session, key, sent)


def _dialog(sessions: Callable[[], Session], settings: Settings, user: UserRef,
            incoming: Incoming) -> Turn:
    with session_scope(sessions) as session:
        return handle_turn(session, settings=settings, user=user, incoming=incoming)


async def run_turn(
    bot: Bot,
    chat_id: int,
    user: UserRef,
    incoming: Incoming,
    *,
    settings: Settings,
    sessions: Callable[[], Session],
    menus: MenuCache | None = None,
    state: FSMContext | None = None,
    action: str = ChatAction.TYPING,
    wake: OutboxWake | None = None,
    inbox: Entry | None = None,
) -> Turn:
    """Handle one input and deliver every reply (typing shown while we work).

    With the update's inbox entry the dialog turn happens once (its ref is the entry key) and
    replies an earlier, killed run already delivered are not sent again.
    """
    if inbox is not None:
        incoming = incoming.model_copy(update={"ref": inbox.key})
    async with ChatActionSender(bot=bot, chat_id=chat_id, action=action, initial_sleep=0.0):
        turn = await asyncio.to_thread(_dialog, sessions, settings, user, incoming)
    if wake is not None:
        wake.set()  # the turn may have queued notifications (offers, alerts)
    await _strip_stale_keyboard(bot, chat_id, state, pressed=incoming.kind == "button")
    last_with_buttons: int | None = None
    for index, reply in enumerate(turn.replies):
        if inbox is not None and index < inbox.sent:
            continue  # delivered before the process died
        message = await send_reply(bot, chat_id, reply, settings=settings, mode=turn.mode,
                                   voice_ok=turn.voice_ok)
        if inbox is not None:
            inbox.sent = index + 1
            await asyncio.to_thread(_mark_sent, sessions, inbox.key, index + 1)
        if reply.buttons:
            last_with_buttons = message.message_id
    if state is not None:
        await state.update_data(keyboard_message=last_with_buttons)
    if menus is not None:
        try:
            await menus.ensure(bot, chat_id, turn.roles, turn.lang)
        except TelegramAPIError as exc:
            log.warning("menu not set: %s", exc)
    return turn


async def _strip_stale_keyboard(
    bot: Bot, chat_id: int, state: FSMContext | None, *, pressed: bool
) -> None:
    """Old buttons go away when new ones come, so a screen reader never finds stale ones."""
    if state is None or pressed:
        return
    old = (await state.get_data()).get("keyboard_message")
    if not old:
        return
    try:
        await bot.edit_message_reply_markup(chat_id=chat_id, message_id=int(old),
                                            reply_markup=None)
    except TelegramAPIError:
        pass  # already gone or too old to edit: nothing to do
