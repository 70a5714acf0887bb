"""The per-turn context every dialog step works with: who, where we stand, what to reply."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session

from core import texts
from core.dialog.identity import Who
from core.dialog.state import Conversation
from core.dialog.types import Incoming, Reply, ReplyButton, UserRef
from core.settings import Settings


def btn(key: str, data: str, **values: Any) -> ReplyButton:
    """A reply button (label by text key, data returned when pressed)."""
    return ReplyButton(key=key, values=values, data=data)


def rows(buttons: list[ReplyButton], per_row: int = 2) -> list[list[ReplyButton]]:
    """Lay buttons out in rows of per_row (short rows read better aloud and on phones)."""
    return [buttons[i : i + per_row] for i in range(0, len(buttons), per_row)]


@dataclass
class Ctx:
    """Everything one turn needs."""

    session: Session
    settings: Settings
    user: UserRef
    incoming: Incoming
    now: datetime
    conv: Conversation
    who: Who
    replies: list[Reply] = field(default_factory=list)
    # The input's ref, and whether an earlier run of this very input died half-way
    # (its in-flight marker is `marker`; see engine.handle_turn).
    ref: str | None = None
    recovering: bool = False
    marker: dict[str, Any] = field(default_factory=dict)

    def checkpoint(self, **extra: Any) -> None:
        """Note facts in the in-flight marker (kept if a core call commits before we end)."""
        if not self.ref:
            return
        self.marker = {"ref": self.ref, **self.marker, **extra}
        self.conv.checkpoint(self.session, self.marker)

    @property
    def lang(self) -> str:
        """The language to answer in: profile first, then what the channel told us."""
        who = self.who
        for candidate in (
            who.resident.lang if who.resident else None,
            who.carer.lang if who.carer else None,
            who.coordinator.lang if who.coordinator else None,
            self.conv.data.get("lang"),
            _first_known(who.volunteer.languages) if who.volunteer else None,
            self.user.lang_hint,
        ):
            if candidate:
                return texts.normalise_lang(candidate)
        return texts.normalise_lang(self.settings.default_lang)

    @property
    def mode(self) -> str:
        """The resident's reading/listening mode (text for everybody else)."""
        if self.who.resident is not None:
            return self.who.resident.mode or "text"
        return str(self.conv.data.get("mode") or "text")

    @property
    def easy(self) -> bool:
        """Whether replies use the easy-read texts."""
        return self.mode == "easy_read"

    @property
    def tz(self) -> str:
        """The time zone to show times in."""
        if self.who.resident is not None and self.who.resident.timezone:
            return self.who.resident.timezone
        return self.settings.timezone

    def say(
        self,
        key: str,
        buttons: list[list[ReplyButton]] | None = None,
        *,
        speak: bool = True,
        attachment_path: str | None = None,
        **values: Any,
    ) -> None:
        """Queue one reply in the user's language and reading form."""
        self.replies.append(
            Reply(
                key=key,
                values=values,
                lang=self.lang,
                buttons=buttons or [],
                speak=speak,
                easy=self.easy,
                attachment_path=attachment_path,
            )
        )

    def t(self, key: str, **values: Any) -> str:
        """A text in the user's language (for values composed into a reply)."""
        return texts.get(key, self.lang, easy=self.easy, **values)


def _first_known(langs: list[str] | None) -> str | None:
    for lang in langs or []:
        if texts.normalise_lang(lang) == lang.lower()[:2]:
            return lang
    return None
