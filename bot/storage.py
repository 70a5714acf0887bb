"""aiogram FSM storage kept in the database (ConversationState), so a restart loses nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, StateType, StorageKey
from sqlmodel import Session

from core.db import session_scope
from core.models import ConversationState
from core.models._types import utcnow


class DbStorage(BaseStorage):
    """One ConversationState row per FSM key (prefix 'aiogram', apart from the dialog rows)."""

    def __init__(self, sessions: Callable[[], Session]) -> None:
        self.sessions = sessions
        self.keys = DefaultKeyBuilder(prefix="aiogram", with_bot_id=True, with_destiny=True)

    def _key(self, key: StorageKey) -> str:
        return self.keys.build(key)[:128]

    def _write(self, key: str, **fields: Any) -> None:
        with session_scope(self.sessions) as session:
            row = session.get(ConversationState, key) or ConversationState(key=key, data={})
            for name, value in fields.items():
                setattr(row, name, value)
            row.updated_at = utcnow()
            session.add(row)

    def _read(self, key: str) -> tuple[str | None, dict[str, Any]]:
        with session_scope(self.sessions) as session:
            row = session.get(ConversationState, key)
            return (row.state, dict(row.data or {})) if row else (None, {})

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        """Store the FSM state."""
        value = state.state if isinstance(state, State) else state
        await asyncio.to_thread(self._write, self._key(key), state=value)

    async def get_state(self, key: StorageKey) -> str | None:
        """The stored FSM state."""
        return (await asyncio.to_thread(self._read, self._key(key)))[0]

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        """Store the FSM data (JSON-serialisable values)."""
        await asyncio.to_thread(self._write, self._key(key), data=dict(data))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        """The stored FSM data."""
        return (await asyncio.to_thread(self._read, self._key(key)))[1]

    async def close(self) -> None:
        """Nothing to close: sessions come from the shared factory."""
