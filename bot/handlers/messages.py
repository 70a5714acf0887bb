"""Plain text messages: requests, typed answers to a step."""

from __future__ import annotations

from collections.abc import Callable

from aiogram import Bot, F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import Message
from sqlmodel import Session

from bot.flow import run_turn, user_ref
from bot.inbox import Entry
from bot.menus import MenuCache
from bot.wake import OutboxWake
from core.dialog import Incoming
from core.settings import Settings


async def on_text(
    message: Message, bot: Bot, settings: Settings, sessions: Callable[[], Session],
    menus: MenuCache, state: FSMContext, outbox_wake: OutboxWake,
    inbox: Entry | None = None,
) -> None:
    """Free text goes to the dialog as it is."""
    assert message.from_user is not None
    await run_turn(bot, message.chat.id, user_ref(message.from_user),
                   Incoming(kind="text", text=message.text), settings=settings,
                   sessions=sessions, menus=menus, state=state, wake=outbox_wake,
                   inbox=inbox)


def make_router() -> Router:
    """A fresh router (one per dispatcher, so a restarted bot can build another)."""
    router = Router(name="messages")
    router.message.filter(F.chat.type == "private")
    router.message.register(on_text, F.text)
    return router


router = make_router()
