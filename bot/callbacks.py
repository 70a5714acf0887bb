"""Button data: the dialog's strings ("offer:accept:17"), signed for the chat they go to.

Telegram says bad clients can send any callback data, so each button carries an HMAC of
(chat id, data) under the settings' "buttons" signing key: data made up, changed, or copied
from another person's chat is refused before it reaches the dialog. The dialog still checks
that the person may do what the button asks. The typed classes describe the formats.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable

from aiogram.filters.callback_data import CallbackData

from core.settings import Settings

SEP = "|"
SIG_CHARS = 11  # 66 bits of HMAC-SHA256, base64url; data + SEP + signature ≤ 64 bytes
MAX_DATA = 64 - len(SEP) - SIG_CHARS


class OfferCb(CallbackData, prefix="offer"):
    """offer:accept:<offer id> / offer:decline:<offer id>."""

    action: str
    id: int


class RequestCb(CallbackData, prefix="request"):
    """request:start|arrived|done|open:<request id> (buttons written by dispatch)."""

    action: str
    id: int


class ReqCb(CallbackData, prefix="req"):
    """req:confirm|change|cancel|reassign:<request id> (read-back and queue buttons)."""

    action: str
    id: int


class TaskCb(CallbackData, prefix="task"):
    """task:onway|arrived|done:<request id>."""

    action: str
    id: int


class CategoryCb(CallbackData, prefix="cat"):
    """cat:<category>:<request id>."""

    category: str
    id: int


class HoursCb(CallbackData, prefix="hours"):
    """hours:<request id>:<hours>."""

    id: int
    hours: str


class FeedbackCb(CallbackData, prefix="fb"):
    """fb:<request id>:<rating 1-5>."""

    id: int
    rating: int


class FeedbackFromDispatchCb(CallbackData, prefix="feedback"):
    """feedback:<request id>:<rating 1-5> (rating buttons written by dispatch)."""

    id: int
    rating: int


TYPED: tuple[type[CallbackData], ...] = (
    OfferCb, RequestCb, ReqCb, TaskCb, CategoryCb, HoursCb, FeedbackCb, FeedbackFromDispatchCb,
)


def parse(data: str) -> CallbackData | None:
    """The typed form of a button string, or None for the simple ones ("lang:zh")."""
    for cls in TYPED:
        try:
            return cls.unpack(data)
        except (TypeError, ValueError):
            continue
    return None


def button_key(settings: Settings) -> bytes:
    """The signing key of buttons (settings.signing_key, purpose "buttons")."""
    return settings.signing_key("buttons")


def _signature(key: bytes, chat_id: int, data: str) -> str:
    digest = hmac.new(key, f"{chat_id}:{data}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode()[:SIG_CHARS]


def sign(data: str, chat_id: int, key: bytes) -> str:
    """data|signature, valid only for presses in chat_id."""
    if len(data.encode()) > MAX_DATA:
        raise ValueError(f"button data longer than {MAX_DATA} bytes: {data!r}")
    return f"{data}{SEP}{_signature(key, chat_id, data)}"


def verify(signed: str, chat_id: int, key: bytes) -> str | None:
    """The data of a signed button pressed in chat_id, or None when forged or foreign."""
    data, sep, signature = signed.rpartition(SEP)
    if not sep or not hmac.compare_digest(signature, _signature(key, chat_id, data)):
        return None
    return data


def signer(settings: Settings, chat_id: int) -> Callable[[str], str]:
    """A function signing button data for chat_id."""
    key = button_key(settings)
    return lambda data: sign(data, chat_id, key)
