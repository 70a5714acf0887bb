"""Telegram's limits: about one message a second per chat and thirty a second overall."""

from __future__ import annotations

import asyncio
from collections import deque


class RateLimiter:
    """Waits so each chat gets at most per_chat_hz messages/s and all chats global_hz/s."""

    def __init__(self, *, per_chat_hz: float = 1.0, global_hz: float = 30.0) -> None:
        self.per_chat_gap = 1.0 / per_chat_hz if per_chat_hz > 0 else 0.0
        self.global_hz = global_hz
        self._next_for_chat: dict[int, float] = {}
        self._recent: deque[float] = deque()
        self._lock = asyncio.Lock()

    async def acquire(self, chat_id: int) -> None:
        """Sleep until a message to chat_id is allowed, then book the slot."""
        loop = asyncio.get_running_loop()
        async with self._lock:
            now = loop.time()
            wait = max(0.0, self._next_for_chat.get(chat_id, 0.0) - now)
            while self._recent and self._recent[0] <= now - 1.0:
                self._recent.popleft()
            if self.global_hz > 0 and len(self._recent) >= self.global_hz:
                wait = max(wait, self._recent[0] + 1.0 - now)
            slot = now + wait
            self._next_for_chat[chat_id] = slot + self.per_chat_gap
            self._recent.append(slot)
            if len(self._next_for_chat) > 10_000:
                # Forget chats whose slot is long past, so the table stays small.
                self._next_for_chat = {
                    c: t for c, t in self._next_for_chat.items() if t > now
                }
        if wait > 0:
            await asyncio.sleep(wait)
