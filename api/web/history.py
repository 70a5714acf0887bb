"""What the web chat has shown one browser session, kept so a reload shows the same history.

Stored in its own ConversationState row ("webchat:<session id>"), next to (never inside) the
dialog's own state row ("web:<session id>"), so the two never overwrite each other's data.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session

from core.models import ConversationState

MAX_MESSAGES = 300


def history_key(session_id: str) -> str:
    """The ConversationState key of one browser session's shown messages."""
    return f"webchat:{session_id}"


def _row(session: Session, session_id: str) -> ConversationState:
    # Locked (on PostgreSQL) so two tabs of one session cannot lose each other's messages.
    row = session.get(ConversationState, history_key(session_id), with_for_update=True)
    if row is None:
        row = ConversationState(key=history_key(session_id), state="web_history", data={})
        session.add(row)
    return row


def load(session: Session, session_id: str) -> list[dict[str, Any]]:
    """Every message shown in this browser session, oldest first."""
    row = session.get(ConversationState, history_key(session_id))
    if row is None:
        return []
    return list(row.data.get("messages", []))


def find(session: Session, session_id: str, message_id: int) -> dict[str, Any] | None:
    """One shown message by its number, or None."""
    for message in load(session, session_id):
        if message.get("id") == message_id:
            return message
    return None


def append(session: Session, session_id: str, messages: list[dict[str, Any]]) -> list[dict]:
    """Number and store new messages; returns them with their ids."""
    row = _row(session, session_id)
    data = dict(row.data or {})
    stored = list(data.get("messages", []))
    seq = int(data.get("seq", 0))
    out = []
    for message in messages:
        seq += 1
        numbered = {**message, "id": seq}
        stored.append(numbered)
        out.append(numbered)
    # A new dict (not an in-place change) so the JSON column is written.
    row.data = {**data, "seq": seq, "messages": stored[-MAX_MESSAGES:]}
    row.updated_at = datetime.now(UTC)
    session.add(row)
    return out


def mark_answered(session: Session, session_id: str, data: str) -> str | None:
    """Close the newest open button group offering `data`; returns that button's label."""
    row = session.get(ConversationState, history_key(session_id), with_for_update=True)
    if row is None:
        return None
    messages = [dict(m) for m in row.data.get("messages", [])]
    for message in reversed(messages):
        if message.get("answered"):
            continue
        for line in message.get("buttons", []):
            for button in line:
                if button.get("data") == data:
                    message["answered"] = True
                    row.data = {**row.data, "messages": messages}
                    row.updated_at = datetime.now(UTC)
                    session.add(row)
                    return str(button.get("label", ""))
    return None
