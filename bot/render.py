"""Dialog replies as Telegram text and inline keyboards."""

from __future__ import annotations

from collections.abc import Callable

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from core import texts
from core.dialog import Reply

MAX_TEXT = 4096
MAX_CAPTION = 1024


def text_of(reply: Reply) -> str:
    """The reply's words in its language and reading form."""
    return texts.get(reply.key, reply.lang, easy=reply.easy, **reply.values)[:MAX_TEXT]


def keyboard(
    reply: Reply, signer: Callable[[str], str] | None = None
) -> InlineKeyboardMarkup | None:
    """The reply's buttons (labels in words, data signed for the chat when given), or None."""
    rows = [
        [
            InlineKeyboardButton(
                text=texts.get(b.key, reply.lang, easy=reply.easy, **b.values)[:64],
                callback_data=signer(b.data) if signer else b.data[:64],
            )
            for b in row
        ]
        for row in reply.buttons
        if row
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None
