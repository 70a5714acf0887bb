"""Outbox delivery for chat adapters: who gets a notification, in which form, and edits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import or_, update
from sqlmodel import Session, col, select

from core import dispatch, texts
from core.dialog.types import Reply, ReplyButton
from core.models import Carer, Coordinator, Notification, Resident, Volunteer
from core.models._types import utcnow

_MODELS: dict[str, Any] = {
    "resident": Resident,
    "volunteer": Volunteer,
    "coordinator": Coordinator,
    "carer": Carer,
}


class Outgoing(BaseModel):
    """One claimed notification, resolved for a chat channel."""

    notification_id: int
    key: str
    chat_id: int | None = None
    reply: Reply
    mode: str = "text"
    voice_ok: bool = False
    # "chat:message" of an earlier message to edit instead of sending a new one.
    edit_ref: str | None = None
    keep_ref: bool = Field(default=False, description="store the sent message id for later edits")


def _lang_of(person: Any) -> str:
    lang = getattr(person, "lang", None)
    if lang is None:
        langs = getattr(person, "languages", None) or []
        lang = langs[0] if langs else None
    return texts.normalise_lang(lang)


def _buttons(raw: list[dict[str, Any]]) -> list[list[ReplyButton]]:
    buttons = [
        ReplyButton(key=str(b.get("key", "")), values=dict(b.get("values") or {}),
                    data=str(b.get("data", "")))
        for b in raw or []
        if b.get("data")
    ]
    # Two short buttons share a row (Accept / Decline); longer lists get a row each.
    per_row = 2 if len(buttons) <= 2 else 1
    return [buttons[i : i + per_row] for i in range(0, len(buttons), per_row)]


def resolve(session: Session, row: Notification) -> Outgoing:
    """The chat id, language and form for one notification row."""
    model = _MODELS.get(row.recipient_kind)
    person = session.get(model, row.recipient_id) if model is not None else None
    lang = _lang_of(person) if person is not None else texts.DEFAULT_LANG
    mode = getattr(person, "mode", "text") or "text"
    disabilities = set(getattr(person, "disability_types", []) or [])
    reply = Reply(
        key=row.key,
        values=dict(row.values or {}),
        lang=lang,
        buttons=_buttons(row.buttons),
        easy=mode == "easy_read",
    )
    out = Outgoing(
        notification_id=row.id or 0,
        key=row.key,
        chat_id=getattr(person, "telegram_id", None),
        reply=reply,
        mode=mode,
        voice_ok=mode == "voice" and "hearing" not in disabilities,
        keep_ref=bool(row.offer_id and row.buttons),
    )
    if row.offer_id and not row.buttons:
        # A follow-up about an offer (taken, expired, withdrawn): replace the offer message.
        earlier = session.exec(
            select(Notification)
            .where(Notification.offer_id == row.offer_id)
            .where(Notification.recipient_kind == row.recipient_kind)
            .where(Notification.recipient_id == row.recipient_id)
            .where(col(Notification.channel_ref).is_not(None))
            .where(Notification.id != row.id)
            .order_by(col(Notification.id))
        ).first()
        if earlier is not None:
            out.edit_ref = earlier.channel_ref
    return out


def claim(session: Session, *, channel: str = "telegram", limit: int = 50,
          now: datetime | None = None) -> list[Outgoing]:
    """Claim due notifications for a channel and resolve each one."""
    rows = dispatch.claim_notifications(session, now=now, limit=limit, channel=channel)
    return [resolve(session, row) for row in rows]


def sent(session: Session, *, notification_id: int, channel_ref: str | None,
         now: datetime | None = None) -> None:
    """Record delivery (channel_ref kept for later edits)."""
    dispatch.mark_sent(session, notification_id=notification_id, channel_ref=channel_ref, now=now)


def failed(session: Session, *, notification_id: int, error: str, retry_at: datetime) -> None:
    """Record a failed delivery to be tried again at retry_at."""
    dispatch.mark_failed(session, notification_id=notification_id, error=error, retry_at=retry_at)


# Where the dialog answers the person at once, the same news also sits in the outbox (dispatch
# tells the resident and their carer of every change): the dialog takes that row over.
DIALOG_REF = "dialog"


def take_over(
    session: Session,
    *,
    request_id: int,
    recipient_kind: str,
    recipient_id: int,
    keys: tuple[str, ...],
    now: datetime | None = None,
) -> bool:
    """Whether the dialog should say this news itself (each person gets it once).

    The newest outbox row with one of `keys` for this request and person decides: still
    pending → the dialog takes it (pending → sent, in one conditional UPDATE, so a sender
    that claimed it first wins and the dialog stays silent); already claimed or sent by a
    sender → False; no such row → True.
    """
    row = session.exec(
        select(Notification)
        .where(Notification.request_id == request_id)
        .where(Notification.recipient_kind == recipient_kind)
        .where(Notification.recipient_id == recipient_id)
        .where(col(Notification.key).in_(keys))
        .order_by(col(Notification.id).desc())
    ).first()
    if row is None:
        return True
    if row.status == "sent" and row.channel_ref == DIALOG_REF:
        return True
    if row.status != "pending":
        return False
    moment = now or utcnow()
    taken = session.execute(
        update(Notification)
        .where(col(Notification.id) == row.id, col(Notification.status) == "pending")
        .values(status="sent", sent_at=moment, seen_at=moment, channel_ref=DIALOG_REF)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(taken, "rowcount", 0))


def release_claims(session: Session, *, now: datetime | None = None) -> int:
    """Give rows claimed for Telegram back to the outbox at once (rows in 'sending').

    Only for the one polling bot at its start: it is the only Telegram sender, so rows
    still leased were claimed by its dead predecessor and need not wait for the lease.
    """
    reachable = [
        (Notification.recipient_kind == kind)
        & col(Notification.recipient_id).in_(
            select(model.id).where(col(model.telegram_id).is_not(None))
        )
        for kind, model in _MODELS.items()
    ]
    result = session.execute(
        update(Notification)
        .where(col(Notification.status) == "sending", or_(*reachable))
        .values(status="pending", next_attempt_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
