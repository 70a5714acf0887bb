"""Calling the Bot API politely: flood-wait on 429, back off on 5xx and network errors."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from aiogram.exceptions import TelegramNetworkError, TelegramRetryAfter, TelegramServerError

log = logging.getLogger(__name__)
T = TypeVar("T")

TRANSIENT = (TelegramNetworkError, TelegramServerError)


class GaveUp(Exception):
    """The API kept failing for longer than the caller's budget."""


async def call_with_retry(
    make_call: Callable[[], Awaitable[T]],
    *,
    budget_s: float = 60.0,
    first_backoff_s: float = 0.2,
    max_backoff_s: float = 5.0,
) -> T:
    """Run make_call(), retrying 429 (after retry_after) and transient errors with backoff."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + budget_s
    backoff = first_backoff_s
    while True:
        try:
            return await make_call()
        except TelegramRetryAfter as exc:
            wait = float(exc.retry_after)
            log.info("429 from Telegram: waiting %.1fs", wait)
        except TRANSIENT as exc:
            wait = backoff
            backoff = min(backoff * 2, max_backoff_s)
            log.info("Telegram transient error (%s): retry in %.1fs", type(exc).__name__, wait)
        if loop.time() + wait > deadline:
            raise GaveUp(f"gave up after {budget_s:.0f}s")
        await asyncio.sleep(wait)
