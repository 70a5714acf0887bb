"""Render one reply text for a resident's mode: text, voice message, large-text card, easy-read."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from functools import partial

from accessibility.cards import render_cards
from accessibility.easy_read import is_question, split_messages
from accessibility.modes import allows_voice, effective_mode
from accessibility.tts import synthesize
from core import texts
from core.models.enums import Mode
from core.settings import Settings

YES_DATA = "answer:yes"
NO_DATA = "answer:no"


@dataclass(frozen=True)
class RenderedButton:
    """A button label in the user's language and the payload it sends back."""

    label: str
    data: str


@dataclass(frozen=True)
class RenderedReply:
    """What an adapter sends for one reply: messages, and optionally a voice note and a card."""

    text: str  # the whole reply (caption of the card, text under the voice note)
    mode: str
    messages: list[str]  # one per chat message: [text], or short sentences in easy-read
    voice_ogg: bytes | None = None  # OGG/Opus 48 kHz mono
    voice_duration: float | None = None  # seconds, for "recording…" progress
    card_png: bytes | None = None  # the first large-text card
    card_pages: list[bytes] = field(default_factory=list)  # all cards when the text is long
    buttons: list[RenderedButton] = field(default_factory=list)  # easy-read yes/no


def yes_no_buttons(lang: str | None) -> list[RenderedButton]:
    """The easy-read Yes / No buttons, labelled in words."""
    return [
        RenderedButton(texts.get("voice.button_yes", lang, easy=True), YES_DATA),
        RenderedButton(texts.get("voice.button_no", lang, easy=True), NO_DATA),
    ]


def render_reply(
    reply_text: str,
    *,
    lang: str | None,
    mode: str,
    disability_types: list[str],
    settings: Settings | None = None,
    speak: bool = True,
    has_buttons: bool = False,
    dark: bool = False,
) -> RenderedReply:
    """Render reply_text for the mode (blocking: TTS and image work; see render_reply_async).

    speak=False (a dialog Reply that should not be read out) skips the voice message;
    has_buttons=True stops easy-read from adding its own yes/no buttons to a question.
    """
    chosen = effective_mode(disability_types, mode)
    text = reply_text.strip()
    messages = [text]
    voice_ogg = voice_duration = None
    cards: list[bytes] = []
    buttons: list[RenderedButton] = []
    if chosen == Mode.easy_read.value:
        messages = split_messages(text, lang)
        if is_question(text) and not has_buttons:
            buttons = yes_no_buttons(lang)
    if chosen == Mode.large_text.value and text:
        cards = render_cards(text, dark=dark)
    if speak and text and allows_voice(disability_types, chosen):
        speech = synthesize(text, lang, settings)
        voice_ogg, voice_duration = speech.ogg, speech.duration
    return RenderedReply(
        text=text,
        mode=chosen,
        messages=messages,
        voice_ogg=voice_ogg,
        voice_duration=voice_duration,
        card_png=cards[0] if cards else None,
        card_pages=cards,
        buttons=buttons,
    )


async def render_reply_async(
    reply_text: str,
    *,
    lang: str | None,
    mode: str,
    disability_types: list[str],
    settings: Settings | None = None,
    speak: bool = True,
    has_buttons: bool = False,
    dark: bool = False,
) -> RenderedReply:
    """render_reply() off the event loop (TTS runs on its own worker thread)."""
    return await asyncio.to_thread(
        partial(
            render_reply,
            reply_text,
            lang=lang,
            mode=mode,
            disability_types=disability_types,
            settings=settings,
            speak=speak,
            has_buttons=has_buttons,
            dark=dark,
        )
    )
