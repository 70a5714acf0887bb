"""Voice notes and photos: kept under media_dir, voice transcribed, then given to the dialog."""

from __future__ import annotations

import asyncio
import importlib
import logging
from collections.abc import Callable
from pathlib import Path

from aiogram import Bot, F, Router
from aiogram.enums import ChatAction
from aiogram.exceptions import TelegramBadRequest
from aiogram.fsm.context import FSMContext
from aiogram.types import Message
from aiogram.utils.chat_action import ChatActionSender
from aiogram.utils.magic_filter import MagicFilter
from sqlmodel import Session

from bot.flow import run_turn, user_ref
from bot.inbox import Entry
from bot.menus import MenuCache
from bot.retry import call_with_retry
from bot.wake import OutboxWake
from core.dialog import Incoming
from core.settings import Settings

log = logging.getLogger(__name__)


# Telegram lets bots fetch files up to 20 MB; bigger ones cannot even be asked for.
TELEGRAM_FETCH_LIMIT = 20 * 1024 * 1024


def fetch_limit(settings: Settings) -> int:
    """The largest voice note or file we fetch (Telegram's limit, or ours if lower)."""
    return min(TELEGRAM_FETCH_LIMIT, settings.max_upload_bytes)


async def file_path_of(bot: Bot, file_id: str, limit: int) -> tuple[str | None, int | None]:
    """getFile (metadata only): (path to fetch, size); path None when the file is too big."""
    try:
        info = await call_with_retry(lambda: bot.get_file(file_id))
    except TelegramBadRequest as exc:
        if "too big" in str(exc).lower():
            return None, None
        raise
    if info.file_size is not None and info.file_size > limit:
        return None, info.file_size
    return info.file_path, info.file_size


async def download(bot: Bot, file_path: str, dest: Path) -> Path:
    """Fetch a file getFile pointed at into dest (directories made); returns dest."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    await call_with_retry(lambda: bot.download_file(file_path, destination=dest))
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
    menus: MenuCache, state: FSMContext, outbox_wake: OutboxWake, inbox: Entry | None = None,
) -> None:
    """Download, transcribe and hand over a voice note (the audio is kept either way).

    A note too big to fetch is never downloaded: its size comes from the message or from
    getFile; the person is asked for a shorter one, and the update stays in the inbox.
    """
    assert message.from_user is not None
    media = message.voice or message.audio or message.document
    assert media is not None
    limit = fetch_limit(settings)
    path: str | None = None
    size = media.file_size
    if size is None or size <= limit:
        path, size = await file_path_of(bot, media.file_id, limit)
        size = size if size is not None else media.file_size
    if path is None:
        if inbox is not None:
            inbox.outcome = "too_big"
        too_big = Incoming(kind="too_big", size_bytes=size,
                           duration_s=getattr(media, "duration", None))
        await run_turn(bot, message.chat.id, user_ref(message.from_user), too_big,
                       settings=settings, sessions=sessions, menus=menus, state=state,
                       wake=outbox_wake, inbox=inbox)
        return
    dest = settings.media_dir / "telegram" / "voice" / f"{media.file_unique_id}.ogg"
    async with ChatActionSender(bot=bot, chat_id=message.chat.id, action=ChatAction.TYPING,
                                initial_sleep=0.0):
        await download(bot, path, dest)
        transcript = await asyncio.to_thread(_transcribe, dest, settings, None)
    incoming = Incoming(kind="voice", audio_path=str(dest), transcript=transcript)
    await run_turn(bot, message.chat.id, user_ref(message.from_user), incoming,
                   settings=settings, sessions=sessions, menus=menus, state=state,
                   wake=outbox_wake, inbox=inbox)


async def on_photo(
    message: Message, bot: Bot, settings: Settings, sessions: Callable[[], Session],
    menus: MenuCache, state: FSMContext, outbox_wake: OutboxWake, inbox: Entry | None = None,
) -> None:
    """A photo (of a letter, usually) with or without a caption; also an image sent as file."""
    assert message.from_user is not None
    if message.photo:
        biggest = message.photo[-1]
        file_id, unique = biggest.file_id, biggest.file_unique_id
    else:
        assert message.document is not None
        file_id, unique = message.document.file_id, message.document.file_unique_id
    path, _ = await file_path_of(bot, file_id, fetch_limit(settings))
    if path is None:
        # An image too big to fetch: say what to send instead (its caption is still used).
        incoming = Incoming(kind="file", text=message.caption)
    else:
        dest = settings.media_dir / "telegram" / "photo" / f"{unique}.jpg"
        await download(bot, path, dest)
        incoming = Incoming(kind="photo", text=message.caption, photo_path=str(dest))
    await run_turn(bot, message.chat.id, user_ref(message.from_user), incoming,
                   settings=settings, sessions=sessions, menus=menus, state=state,
                   wake=outbox_wake, inbox=inbox)


def _mime(prefix: str) -> MagicFilter:
    return F.document.mime_type.startswith(prefix)


def make_router() -> Router:
    """A fresh router (one per dispatcher, so a restarted bot can build another)."""
    router = Router(name="media")
    router.message.filter(F.chat.type == "private")
    router.message.register(on_voice, F.voice | F.audio | _mime("audio/"))
    router.message.register(on_photo, F.photo | _mime("image/"))
    return router


router = make_router()
