"""Load and save where a conversation stands (the ConversationState table)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from core.models import ConversationState
from core.models._types import utcnow

IDLE = "idle"
# conversation data keys of the exactly-once machinery (see engine.handle_turn)
INFLIGHT = "inflight"  # {"ref", "after"?}: a turn that began; written with its first commit
LAST_TURN = "last_turn"  # {"ref", "turn"}: the replies of the last turn that had a ref


class Conversation:
    """A mutable view of one ConversationState row; save() writes it back."""

    def __init__(self, row: ConversationState) -> None:
        self.row = row
        self.state: str = row.state or IDLE
        self.data: dict[str, Any] = dict(row.data or {})
        self._began_state = self.state
        self._began_data = dict(self.data)

    def go(self, state: str, **data: Any) -> None:
        """Move to a state, merging extra data."""
        self.state = state
        self.data.update(data)

    def reset(self) -> None:
        """Back to idle, dropping per-step data but keeping who the user is."""
        keep = {k: v for k, v in self.data.items() if k in _PERSISTENT}
        self.state = IDLE
        self.data = keep

    def checkpoint(self, session: Session, marker: dict[str, Any]) -> None:
        """Stage the row as it was when the turn began, plus an in-flight marker.

        Core services commit on their own (a request is stored before it is classified);
        the marker goes into the database with their first commit, so if the process dies
        before the turn ends, the same input handled again knows what already happened.
        """
        self.row.state = self._began_state
        self.row.data = {**self._began_data, INFLIGHT: marker}
        session.add(self.row)

    def save(self, session: Session, now: datetime | None = None) -> None:
        """Write the state back (committed by the caller)."""
        self.row.state = self.state
        # A new dict object, so SQLAlchemy sees the JSON column changed.
        self.row.data = dict(self.data)
        self.row.updated_at = now or utcnow()
        session.add(self.row)


# Keys that survive reset(): identity links for channels without an id column.
_PERSISTENT = frozenset({"volunteer_id", "coordinator_id", "carer_id", "resident_id", "lang"})


def load(session: Session, key: str) -> Conversation:
    """The conversation for key, created empty when new."""
    row = session.get(ConversationState, key)
    if row is None:
        row = ConversationState(key=key, state=IDLE, data={})
    return Conversation(row)
