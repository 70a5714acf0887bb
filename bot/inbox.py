"""The bot's inbox: every Telegram update is stored before Telegram is told we have it.

Rows live in the ConversationState table under keys "tgup:<bot id>:<update id>" (no table of
their own: the row holds a state, JSON data and a time, which is all an inbox needs):
  received → work (claimed by a process, `updated_at` is the lease) → done | throttled |
  too_big | failed
data = {"update": the raw update, "sent": replies already delivered}. An update seen again
(Telegram redelivers what was not confirmed before a crash) finds its row and is skipped once
finished; one a dead process left half-way is claimed again and finished. Finished rows are
pruned after KEEP_DAYS, except `failed` and `too_big` ones (kept for a person to look at).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, delete, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from core.models import ConversationState
from core.models._types import utcnow

PREFIX = "tgup:"
LEASE_S = 300.0  # a process that claimed an update and went silent this long is dead
KEEP_DAYS = 14  # longer than Telegram keeps unconfirmed updates (24 h)
PRUNABLE = ("done", "throttled")


@dataclass
class Entry:
    """A claimed update: its key (the dialog's ref) and how many replies were delivered."""

    key: str
    update_id: int
    sent: int = 0
    outcome: str = "done"


def key_for(bot_id: int, update_id: int) -> str:
    """The inbox key of an update."""
    return f"{PREFIX}{bot_id}:{update_id}"


def store(session: Session, bot_id: int, updates: list[dict[str, Any]]) -> int:
    """Insert the updates not stored yet (state received); how many were new."""
    keys = {key_for(bot_id, int(u["update_id"])): u for u in updates}
    if not keys:
        return 0
    known = set(session.exec(
        select(ConversationState.key).where(col(ConversationState.key).in_(list(keys)))
    ).all())
    now = utcnow()
    fresh = [ConversationState(key=k, state="received", data={"update": u, "sent": 0},
                               updated_at=now)
             for k, u in keys.items() if k not in known]
    session.add_all(fresh)
    try:
        session.commit()
    except IntegrityError:
        # Another process (webhook mode) stored one of them at the same moment: one by one.
        session.rollback()
        for row in fresh:
            try:
                session.add(ConversationState(key=row.key, state=row.state, data=row.data,
                                              updated_at=now))
                session.commit()
            except IntegrityError:
                session.rollback()
    return len(fresh)


def claim(session: Session, key: str, update_id: int,
          raw: Callable[[], dict[str, Any]]) -> Entry | None:
    """Take the update for this process, or None: finished, or in another's hands now."""
    now = utcnow()
    expired = now - timedelta(seconds=LEASE_S)
    taken = session.execute(
        update(ConversationState)
        .where(col(ConversationState.key) == key)
        .where(or_(col(ConversationState.state) == "received",
                   and_(col(ConversationState.state) == "work",
                        col(ConversationState.updated_at) < expired)))
        .values(state="work", updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if getattr(taken, "rowcount", 0) == 1:
        session.commit()
        row = session.get(ConversationState, key, populate_existing=True)
        sent = int((row.data or {}).get("sent", 0)) if row else 0
        return Entry(key=key, update_id=update_id, sent=sent)
    if session.get(ConversationState, key) is not None:
        session.rollback()
        return None
    # Never stored (fed from elsewhere): store it as ours now.
    session.add(ConversationState(key=key, state="work", data={"update": raw(), "sent": 0},
                                  updated_at=now))
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return None
    return Entry(key=key, update_id=update_id)


def _update_row(session: Session, key: str, **changes: Any) -> None:
    row = session.get(ConversationState, key, populate_existing=True)
    if row is None:
        return
    data = dict(row.data or {})
    data.update(changes.pop("data", {}))
    row.data = data
    for name, value in changes.items():
        setattr(row, name, value)
    row.updated_at = utcnow()  # also renews the lease while replies go out
    session.add(row)
    session.commit()


def mark_sent(session: Session, key: str, sent: int) -> None:
    """Record that the first `sent` replies of the update were delivered."""
    _update_row(session, key, data={"sent": sent})


def finish(session: Session, key: str, outcome: str = "done") -> None:
    """The update is finished (done, throttled, too_big or failed)."""
    _update_row(session, key, state=outcome)


def reopen_claimed(session: Session) -> int:
    """Hand back every claimed update (the one polling bot starts: their owner is dead)."""
    result = session.execute(
        update(ConversationState)
        .where(col(ConversationState.key).startswith(PREFIX))
        .where(col(ConversationState.state) == "work")
        .values(state="received")
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return int(getattr(result, "rowcount", 0) or 0)


def due(session: Session, *, received_for_s: float, limit: int = 500) -> list[dict[str, Any]]:
    """Raw updates left unfinished: received this long ago, or claimed and the lease over."""
    now = utcnow()
    rows = session.exec(
        select(ConversationState)
        .where(col(ConversationState.key).startswith(PREFIX))
        .where(or_(
            and_(col(ConversationState.state) == "received",
                 col(ConversationState.updated_at) <= now - timedelta(seconds=received_for_s)),
            and_(col(ConversationState.state) == "work",
                 col(ConversationState.updated_at) < now - timedelta(seconds=LEASE_S)),
        ))
        .limit(limit)
    ).all()
    updates = [dict((r.data or {}).get("update") or {}) for r in rows]
    return sorted((u for u in updates if "update_id" in u), key=lambda u: int(u["update_id"]))


def prune(session: Session, *, keep_days: float = KEEP_DAYS) -> int:
    """Delete finished rows older than keep_days; how many."""
    result = session.execute(
        delete(ConversationState)
        .where(col(ConversationState.key).startswith(PREFIX))
        .where(col(ConversationState.state).in_(PRUNABLE))
        .where(col(ConversationState.updated_at) < utcnow() - timedelta(days=keep_days))
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return int(getattr(result, "rowcount", 0) or 0)
