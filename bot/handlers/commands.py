"""Commands: /start (with invite deep links), /help, /my, /cancel, /settings, /volunteer…"""

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


async def on_command(
    message: Message, bot: Bot, settings: Settings, sessions: Callable[[], Session],
    menus: MenuCache, state: FSMContext, outbox_wake: OutboxWake,
    inbox: Entry | None = None,
) -> None:
    """Parse '/name@bot args' and let the dialog answer."""
    assert message.text is not None and message.from_user is not None
    head, _, args = message.text.partition(" ")
    name = head.lstrip("/").split("@", 1)[0].lower()
    kind = "start" if name == "start" else "command"
    incoming = Incoming(kind=kind, text=name, command_args=args.strip() or None)
    await run_turn(bot, message.chat.id, user_ref(message.from_user), incoming,
                   settings=settings, sessions=sessions, menus=menus, state=state, wake=outbox_wake,
                   inbox=inbox)


def make_router() -> Router:
    """A fresh router (one per dispatcher, so a restarted bot can build another)."""
    router = Router(name="commands")
    router.message.filter(F.chat.type == "private")
    router.message.register(on_command, F.text.startswith("/"))
    return router


router = make_router()
