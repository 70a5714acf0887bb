"""A nudge from the handlers to the outbox sender: a turn may have queued notifications."""

from __future__ import annotations

import asyncio


class OutboxWake:
    """Set after each dialog turn; the sender waits on it instead of only polling."""

    def __init__(self) -> None:
        self._event: asyncio.Event | None = None

    @property
    def event(self) -> asyncio.Event:
        """The event (made on first use, inside the running loop)."""
        if self._event is None:
            self._event = asyncio.Event()
        return self._event

    def set(self) -> None:
        """Wake the sender now."""
        self.event.set()
