"""Sending one reply in the user's form: text (+ buttons), a voice note, a large-text card."""

from __future__ import annotations

import importlib
import logging
from typing import Any

from aiogram import Bot
from aiogram.enums import ChatAction
from aiogram.exceptions import TelegramAPIError
from aiogram.types import BufferedInputFile, InlineKeyboardMarkup, Message

from bot.callbacks import signer
from bot.render import MAX_CAPTION, keyboard, text_of
from bot.retry import GaveUp, call_with_retry
from core.dialog import Reply
from core.settings import Settings

log = logging.getLogger(__name__)


def _voice_module() -> Any:
    return importlib.import_module("accessibility.tts")


def _card_png(text: str) -> bytes | None:
    """A large-text PNG of the text (None when the card renderer is not installed)."""
    try:
        cards = importlib.import_module("accessibility.cards")
    except ImportError:
        return None
    return bytes(cards.render_card(text))


async def send_reply(
    bot: Bot,
    chat_id: int,
    reply: Reply,
    *,
    settings: Settings,
    mode: str = "text",
    voice_ok: bool = False,
    budget_s: float = 60.0,
) -> Message:
    """Send a reply; returns the message that carries the buttons (for later edits)."""
    text = text_of(reply)
    markup = keyboard(reply, signer(settings, chat_id))
    message: Message | None = None
    if mode == "large_text":
        message = await _send_card(bot, chat_id, text, reply.lang, markup, settings, budget_s)
    if message is None:
        message = await call_with_retry(
            lambda: bot.send_message(chat_id, text, reply_markup=markup), budget_s=budget_s
        )
    if voice_ok and reply.speak:
        await _send_voice(bot, chat_id, text, reply.lang, settings, budget_s)
    if reply.attachment_path:
        await _send_attachment(bot, chat_id, reply.attachment_path, budget_s)
    return message


async def _send_card(
    bot: Bot, chat_id: int, text: str, lang: str, markup: InlineKeyboardMarkup | None,
    settings: Settings, budget_s: float,
) -> Message | None:
    if len(text) > MAX_CAPTION:
        return None
    import asyncio

    try:
        png = await asyncio.to_thread(_card_png, text)
    except Exception:  # noqa: BLE001 - a failed card falls back to plain text
        log.exception("large-text card failed")
        return None
    if not png:
        return None
    photo = BufferedInputFile(png, filename="card.png")
    return await call_with_retry(
        lambda: bot.send_photo(chat_id, photo, caption=text, reply_markup=markup),
        budget_s=budget_s,
    )


async def _send_voice(
    bot: Bot, chat_id: int, text: str, lang: str, settings: Settings, budget_s: float
) -> None:
    try:
        await bot.send_chat_action(chat_id, ChatAction.RECORD_VOICE)
        speech = await _voice_module().speak_async(text, lang, settings)
        voice = BufferedInputFile(speech.ogg, filename="reply.ogg")
        await call_with_retry(lambda: bot.send_voice(chat_id, voice), budget_s=budget_s)
    except (GaveUp, TelegramAPIError, ImportError) as exc:
        log.warning("voice reply not sent: %s", exc)
    except Exception as exc:  # noqa: BLE001 - the text was delivered; speech is a bonus
        log.warning("speech synthesis failed: %s", exc)


async def _send_attachment(bot: Bot, chat_id: int, path: str, budget_s: float) -> None:
    from aiogram.types import FSInputFile

    try:
        await call_with_retry(lambda: bot.send_photo(chat_id, FSInputFile(path)),
                              budget_s=budget_s)
    except (GaveUp, TelegramAPIError, OSError) as exc:
        log.warning("attachment not sent: %s", exc)
