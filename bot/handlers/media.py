"""Voice notes and photos: kept under media_dir, voice transcribed, then given to the dialog."""

from __future__ import annotations

import asyncio
import importlib
import logging
from collections.abc import Callable
from pathlib import Path

from aiogram import Bot, F, Router
from aiogram.enums import ChatAction
from aiogram.fsm.context import FSMContext
from aiogram.types import Message
from aiogram.utils.chat_action import ChatActionSender
from sqlmodel import Session

from bot.flow import run_turn, user_ref
from bot.menus import MenuCache
from bot.retry import call_with_retry
from bot.wake import OutboxWake
from core.dialog import Incoming
from core.settings import Settings

log = logging.getLogger(__name__)


async def download(bot: Bot, file_id: str, dest: Path) -> Path:
    """getFile then download into dest (directories made); returns dest."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    info = await call_with_retry(lambda: bot.get_file(file_id))
    assert info.file_path is not None
    await call_with_retry(lambda: bot.download_file(info.file_path, destination=dest))
    return dest


def _transcribe(path: Path, settings: Settings, lang: str | None) -> str | None:
    try:
        stt = importlib.import_module("accessibility.stt")
        return str(stt.transcribe(path, settings, lang=lang).text)
    except Exception as exc:  # noqa: BLE001 - no transcript: the audio is kept for a person
        log.warning("voice note not transcribed: %s", exc)
        return None


async def on_voice(
    message: Message, bot: Bot, settings: Settings, sessions: Callable[[], Session],
    menus: MenuCache, state: FSMContext, outbox_wake: OutboxWake,
) -> None:
    """Download, transcribe and hand over a voice note (the audio is kept either way)."""
    assert message.from_user is not None
    media = message.voice or message.audio
    assert media is not None
    dest = settings.media_dir / "telegram" / "voice" / f"{media.file_unique_id}.ogg"
    async with ChatActionSender(bot=bot, chat_id=message.chat.id, action=ChatAction.TYPING,
                                initial_sleep=0.0):
        await download(bot, media.file_id, dest)
        transcript = await asyncio.to_thread(_transcribe, dest, settings, None)
    incoming = Incoming(kind="voice", audio_path=str(dest), transcript=transcript)
    await run_turn(bot, message.chat.id, user_ref(message.from_user), incoming,
                   settings=settings, sessions=sessions, menus=menus, state=state, wake=outbox_wake)


async def on_photo(
    message: Message, bot: Bot, settings: Settings, sessions: Callable[[], Session],
    menus: MenuCache, state: FSMContext, outbox_wake: OutboxWake,
) -> None:
    """A photo (of a letter, usually) with or without a caption."""
    assert message.from_user is not None and message.photo
    biggest = message.photo[-1]
    dest = settings.media_dir / "telegram" / "photo" / f"{biggest.file_unique_id}.jpg"
    await download(bot, biggest.file_id, dest)
    incoming = Incoming(kind="photo", text=message.caption, photo_path=str(dest))
    await run_turn(bot, message.chat.id, user_ref(message.from_user), incoming,
                   settings=settings, sessions=sessions, menus=menus, state=state, wake=outbox_wake)


def make_router() -> Router:
    """A fresh router (one per dispatcher, so a restarted bot can build another)."""
    router = Router(name="media")
    router.message.filter(F.chat.type == "private")
    router.message.register(on_voice, F.voice | F.audio)
    router.message.register(on_photo, F.photo)
    return router


router = make_router()
