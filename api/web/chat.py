"""The web chat's glue: run one input through core.dialog and keep what was shown.

Every reply becomes a plain message dict (text already in its language, buttons with labels)
stored in the browser session's history, so the page re-renders it after a reload.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import or_
from sqlmodel import Session, select

from api.web import history
from core import texts
from core.db import session_scope
from core.dialog import UserRef, handle
from core.exceptions import DomainError
from core.models import Carer, Notification, Resident
from core.settings import Settings

log = logging.getLogger(__name__)

CHANNEL = "web"


def _now() -> str:
    return datetime.now(UTC).isoformat()


def display_name(session_id: str) -> str:
    """A stand-in name for a new web resident: never the session id, which is a secret."""
    return "web-" + hashlib.sha256(session_id.encode()).hexdigest()[:8]


def user_message(text: str, lang: str, *, kind: str = "text") -> dict[str, Any]:
    """What the resident said, as shown in the chat."""
    return {"from": "user", "kind": kind, "text": text, "lang": lang, "at": _now()}


def bot_message(
    key: str,
    lang: str,
    values: dict[str, Any] | None = None,
    *,
    easy: bool = False,
    buttons: list[list[dict[str, Any]]] | None = None,
    speak: bool = True,
    source: str = "dialog",
) -> dict[str, Any]:
    """A text by key rendered in its language, with labelled buttons."""
    values = values or {}
    rendered = [
        [
            {
                "label": texts.get(b["key"], lang, easy=easy, **(b.get("values") or {})),
                "data": str(b["data"]),
            }
            for b in line
        ]
        for line in (buttons or [])
    ]
    return {
        "from": "bot",
        "source": source,
        "text": texts.get(key, lang, easy=easy, **values),
        "lang": texts.normalise_lang(lang),
        "buttons": [line for line in rendered if line],
        "speak": speak,
        "answered": False,
        "at": _now(),
    }


def render_reply(reply: Any) -> dict[str, Any]:
    """A core.dialog Reply as a shown message."""
    buttons = [
        [{"key": b.key, "values": dict(b.values or {}), "data": b.data} for b in line]
        for line in (reply.buttons or [])
    ]
    return bot_message(
        reply.key,
        reply.lang,
        dict(reply.values or {}),
        easy=bool(getattr(reply, "easy", False)),
        buttons=buttons,
        speak=bool(getattr(reply, "speak", True)),
    )


def render_notification(note: Notification, lang: str, *, easy: bool = False) -> dict[str, Any]:
    """An outbox notification as a shown message."""
    buttons = [[b] for b in (note.buttons or []) if isinstance(b, dict) and "key" in b]
    return bot_message(
        note.key, lang, dict(note.values or {}), easy=easy, buttons=buttons, source="outbox"
    )


def converse(
    sessions: Callable[[], Session],
    *,
    settings: Settings,
    session_id: str,
    lang: str,
    incoming: Any,
    shown: dict[str, Any] | None,
) -> list[dict[str, Any]]:
    """Store what the user sent, run it through the dialog, store and return the new messages.

    The user's own message is committed first, so nothing is lost if the dialog fails;
    a failure becomes a polite message in the user's language.
    """
    new: list[dict[str, Any]] = []
    if shown is not None:
        with session_scope(sessions) as session:
            new += history.append(session, session_id, [shown])
    user = UserRef(channel=CHANNEL, external_id=session_id, lang_hint=lang,
                   name=display_name(session_id))
    try:
        with session_scope(sessions) as session:
            replies = handle(session, settings=settings, user=user, incoming=incoming)
            new += history.append(session, session_id, [render_reply(r) for r in replies])
        return new
    except DomainError as exc:
        failure = bot_message(exc.prompt_key, lang, {"detail": exc.message, **exc.values})
    except Exception:
        log.exception("web chat: the dialog failed for one message")
        failure = bot_message("error.generic", lang)
    with session_scope(sessions) as session:
        new += history.append(session, session_id, [failure])
    return new


def _recipients(session: Session, session_id: str) -> list[tuple[str, int, str]]:
    """(recipient kind, id, language) of the people this browser session speaks for."""
    out: list[tuple[str, int, str]] = []
    for resident in session.exec(select(Resident).where(Resident.web_id == session_id)):
        out.append(("resident", int(resident.id or 0), resident.lang))
    for carer in session.exec(select(Carer).where(Carer.web_id == session_id)):
        out.append(("carer", int(carer.id or 0), carer.lang))
    return out


def profile_mode(sessions: Callable[[], Session], *, session_id: str) -> str | None:
    """How this browser's resident asked to be answered (text, voice, large_text, easy_read)."""
    with session_scope(sessions) as session:
        resident = session.exec(select(Resident).where(Resident.web_id == session_id)).first()
        return resident.mode if resident is not None else None


def wants_voice(sessions: Callable[[], Session], *, session_id: str) -> bool:
    """Spoken replies only for a resident who chose voice, and never for a deaf resident."""
    with session_scope(sessions) as session:
        resident = session.exec(select(Resident).where(Resident.web_id == session_id)).first()
        if resident is None or resident.mode != "voice":
            return False
        return "hearing" not in set(resident.disability_types or [])


def poll(
    sessions: Callable[[], Session], *, session_id: str, lang: str
) -> list[dict[str, Any]]:
    """New outbox notifications for this browser session's person, each shown exactly once."""
    with session_scope(sessions) as session:
        recipients = _recipients(session, session_id)
        if not recipients:
            return []
        langs = {(kind, rid): rlang for kind, rid, rlang in recipients}
        clauses = [
            (Notification.recipient_kind == kind) & (Notification.recipient_id == rid)
            for kind, rid, _ in recipients
        ]
        statement = (
            select(Notification)
            .where(or_(*clauses))
            .where(Notification.seen_at.is_(None))  # type: ignore[union-attr]
            .order_by(Notification.id)  # type: ignore[arg-type]
            .limit(50)
        )
        now = datetime.now(UTC)
        shown: list[dict[str, Any]] = []
        for note in session.exec(statement).all():
            note_lang = langs.get((note.recipient_kind, note.recipient_id)) or lang
            shown.append(render_notification(note, note_lang))
            note.seen_at = now
            if note.status == "pending":
                # Shown in the browser is delivered: the bot must not also try to send it.
                note.status = "sent"
                note.sent_at = now
                note.channel_ref = CHANNEL
            session.add(note)
        return history.append(session, session_id, shown) if shown else []


def answer_button(
    sessions: Callable[[], Session], *, session_id: str, data: str, lang: str
) -> dict[str, Any] | None:
    """Close the button group that offered `data`; the user's side of it as a message."""
    with session_scope(sessions) as session:
        label = history.mark_answered(session, session_id, data)
    if label is None:
        return None
    return user_message(label, lang, kind="button")
