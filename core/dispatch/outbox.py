"""The notifications outbox: written with the change it reports, claimed and sent by adapters."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from core.dispatch.common import now_utc
from core.exceptions import NotFound
from core.models import Carer, Coordinator, Notification, Resident, Volunteer

# A sender that claimed rows and died gives them back after this long.
LEASE_S = 120
# After this many failed attempts a row stays 'failed' for a person to look at.
MAX_ATTEMPTS = 10


def notification_row(
    *,
    recipient_kind: str,
    recipient_id: int,
    key: str,
    dedupe_key: str,
    now: datetime,
    values: dict[str, Any] | None = None,
    buttons: list[dict[str, Any]] | None = None,
    request_id: int | None = None,
    offer_id: int | None = None,
) -> dict[str, Any]:
    """One outbox row as a dict, for notify_many."""
    return {
        "recipient_kind": recipient_kind,
        "recipient_id": recipient_id,
        "key": key,
        "values": values or {},
        "buttons": buttons or [],
        "request_id": request_id,
        "offer_id": offer_id,
        "dedupe_key": dedupe_key[:128],
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
        "sent_at": None,
        "seen_at": None,
        "channel_ref": None,
        "last_error": None,
    }


_INSERTS: dict[str, Any] = {}


def _insert_ignoring_duplicates(dialect: str) -> Any:
    """INSERT ... ON CONFLICT (dedupe_key) DO NOTHING, built once per dialect."""
    if dialect not in _INSERTS:
        if dialect == "postgresql":
            stmt: Any = pg_insert(Notification).on_conflict_do_nothing(
                index_elements=["dedupe_key"]
            )
        elif dialect == "sqlite":
            stmt = sqlite_insert(Notification).on_conflict_do_nothing(
                index_elements=["dedupe_key"]
            )
        else:  # pragma: no cover - only the two supported databases
            stmt = insert(Notification)
        _INSERTS[dialect] = stmt
    return _INSERTS[dialect]


def notify_many(session: Session, rows: list[dict[str, Any]]) -> None:
    """Queue several messages in one statement, in the caller's transaction."""
    if rows:
        stmt = _insert_ignoring_duplicates(session.get_bind().dialect.name)
        session.connection().execute(stmt, rows)


def notify(session: Session, **fields: Any) -> None:
    """Queue one message in the caller's transaction; the same dedupe_key twice is a no-op."""
    notify_many(session, [notification_row(**fields)])


def _channel_filter(channel: str) -> Any:
    """Rows whose recipient can be reached on the channel (telegram id / web id present)."""
    tg = [
        and_(
            Notification.recipient_kind == kind,
            Notification.recipient_id.in_(select(model.id).where(model.telegram_id.is_not(None))),
        )
        for kind, model in (
            ("resident", Resident),
            ("volunteer", Volunteer),
            ("coordinator", Coordinator),
            ("carer", Carer),
        )
    ]
    if channel == "telegram":
        return or_(*tg)
    if channel == "web":
        return or_(
            and_(
                Notification.recipient_kind == "resident",
                Notification.recipient_id.in_(select(Resident.id).where(Resident.web_id.is_not(None))),
            ),
            and_(
                Notification.recipient_kind == "carer",
                Notification.recipient_id.in_(select(Carer.id).where(Carer.web_id.is_not(None))),
            ),
        )
    return Notification.recipient_kind.is_not(None)


def claim_notifications(
    session: Session,
    *,
    now: datetime | None = None,
    limit: int = 50,
    kinds: list[str] | None = None,
    channel: str | None = None,
) -> list[Notification]:
    """Claim due rows (pending, or 'sending' with an expired lease) and lease them to the caller.

    One UPDATE ... WHERE id IN (SELECT ... [FOR UPDATE SKIP LOCKED]) RETURNING id, so two
    senders never claim the same row; a crashed sender's rows come back when the lease ends.
    """
    moment = now_utc(now)
    due = or_(
        and_(Notification.status == "pending", Notification.next_attempt_at <= moment),
        and_(Notification.status == "sending", Notification.next_attempt_at <= moment),
    )
    pick = select(Notification.id).where(due)
    if kinds:
        pick = pick.where(Notification.recipient_kind.in_(kinds))
    if channel:
        pick = pick.where(_channel_filter(channel))
    pick = pick.order_by(Notification.next_attempt_at, Notification.id).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        pick = pick.with_for_update(skip_locked=True)
    # A CTE, not "IN (SELECT ... LIMIT n)": PostgreSQL may re-run such a subquery per row,
    # and with SKIP LOCKED every run picks different rows (more than `limit` claimed).
    picked = pick.cte("picked")
    stmt = (
        update(Notification)
        .where(Notification.id.in_(select(picked.c.id)), due)
        .values(
            status="sending",
            attempts=Notification.attempts + 1,
            next_attempt_at=moment + timedelta(seconds=LEASE_S),
        )
        .returning(Notification.id)
        .execution_options(synchronize_session=False)
    )
    ids = [row[0] for row in session.execute(stmt)]
    session.commit()
    if not ids:
        return []
    return list(
        session.scalars(
            select(Notification).where(Notification.id.in_(ids)).order_by(Notification.id)
        )
    )


def mark_sent(
    session: Session, *, notification_id: int, channel_ref: str | None = None,
    now: datetime | None = None,
) -> None:
    """The adapter delivered it: never send it again."""
    row = session.get(Notification, notification_id)
    if row is None:
        raise NotFound("notification not found", notification_id=notification_id)
    row.status = "sent"
    row.sent_at = now_utc(now)
    row.channel_ref = channel_ref
    row.last_error = None
    session.add(row)
    session.commit()


def mark_failed(
    session: Session, *, notification_id: int, error: str, retry_at: datetime
) -> None:
    """Delivery failed: try again at retry_at (or give up after MAX_ATTEMPTS)."""
    row = session.get(Notification, notification_id)
    if row is None:
        raise NotFound("notification not found", notification_id=notification_id)
    row.status = "failed" if row.attempts >= MAX_ATTEMPTS else "pending"
    row.next_attempt_at = retry_at
    row.last_error = (error or "")[:500]
    session.add(row)
    session.commit()
