"""The transport-neutral shapes of a conversation turn: who, what came in, what goes out."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class UserRef(BaseModel):
    """A person on one channel: 'telegram' + chat id, or 'web' + session id."""

    channel: str
    external_id: str
    lang_hint: str | None = None
    name: str | None = None

    @property
    def key(self) -> str:
        """The ConversationState key of this user."""
        return f"{self.channel}:{self.external_id}"


class Incoming(BaseModel):
    """One thing the user did: a message, a voice note, a photo, a button or a command.

    The other kinds are what a chat can carry but the dialog cannot use as such: a sticker,
    a file (text = its caption), a location (text = the place's name or address, data =
    "lat,lon"), a voice note too big to fetch (size_bytes, duration_s), anything else (data =
    its type), and "flood" (the adapter throttles this person for a while).
    """

    kind: Literal["start", "text", "voice", "photo", "button", "command", "sticker", "file",
                  "location", "too_big", "other", "flood"]
    text: str | None = None
    data: str | None = None
    audio_path: str | None = None
    photo_path: str | None = None
    transcript: str | None = None
    command_args: str | None = None
    # The channel's id of this input (e.g. a Telegram update): the same ref handled again
    # returns the same replies without doing anything twice.
    ref: str | None = None
    size_bytes: int | None = None
    duration_s: int | None = None


class ReplyButton(BaseModel):
    """A button: its label is texts.get(key, lang, **values); data comes back when pressed."""

    key: str
    values: dict[str, Any] = Field(default_factory=dict)
    data: str


class Reply(BaseModel):
    """One message to show (and maybe speak) to the user."""

    key: str
    values: dict[str, Any] = Field(default_factory=dict)
    lang: str
    buttons: list[list[ReplyButton]] = Field(default_factory=list)
    speak: bool = True
    easy: bool = False
    attachment_path: str | None = None


class Turn(BaseModel):
    """The replies of one turn plus how this user wants them delivered (for adapters)."""

    replies: list[Reply] = Field(default_factory=list)
    lang: str = "zh"
    mode: str = "text"
    easy: bool = False
    # Voice replies only when the mode asks AND nothing in the profile forbids it (deaf users).
    voice_ok: bool = False
    roles: list[str] = Field(default_factory=list)
