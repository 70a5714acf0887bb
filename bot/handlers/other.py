"""Everything else a person can send: stickers, files, locations, contacts, polls…

Each goes to the dialog as what it is, so the answer is polite and in the person's language;
the update itself is already kept in the inbox, so nothing is lost.
"""

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


def incoming_for(message: Message) -> Incoming:
    """The dialog's view of a message that is not text, voice or a photo."""
    if message.sticker is not None:
        return Incoming(kind="sticker", text=message.sticker.emoji)
    if message.venue is not None:
        venue = message.venue
        words = ", ".join(p for p in (venue.title, venue.address) if p)
        return Incoming(kind="location", text=words,
                        data=f"{venue.location.latitude},{venue.location.longitude}")
    if message.location is not None:
        place = message.location
        return Incoming(kind="location", data=f"{place.latitude},{place.longitude}")
    if message.document is not None or message.video is not None \
            or message.animation is not None or message.video_note is not None:
        return Incoming(kind="file", text=message.caption)
    return Incoming(kind="other", text=message.caption, data=str(message.content_type))


async def on_other(
    message: Message, bot: Bot, settings: Settings, sessions: Callable[[], Session],
    menus: MenuCache, state: FSMContext, outbox_wake: OutboxWake, inbox: Entry | None = None,
) -> None:
    """Hand the message to the dialog as what it is."""
    if message.from_user is None:
        return
    await run_turn(bot, message.chat.id, user_ref(message.from_user), incoming_for(message),
                   settings=settings, sessions=sessions, menus=menus, state=state,
                   wake=outbox_wake, inbox=inbox)


def make_router() -> Router:
    """A fresh router (one per dispatcher, so a restarted bot can build another)."""
    router = Router(name="other")
    router.message.filter(F.chat.type == "private")
    router.message.register(on_other)
    return router


router = make_router()
