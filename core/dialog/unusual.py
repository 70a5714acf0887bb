"""Inputs a chat can carry but the dialog cannot use as they are: stickers, files, map pins,
voice notes too big to fetch, anything else, and a person who sends too much too fast.

Each gets a short polite answer in the person's language saying what to send instead; words
that came with the input (a file's caption, a place's name) are used, never dropped. The
adapter keeps the raw input itself (the Telegram bot's inbox), so nothing is lost.
"""

from __future__ import annotations

from collections.abc import Callable

from core.dialog import areas as area_tools
from core.dialog import onboarding
from core.dialog.context import Ctx

KINDS = frozenset({"sticker", "file", "location", "too_big", "other", "flood"})
AREA_STEPS = ("onb:area", "vol:area")
FETCH_LIMIT_MB = 20  # the most a chat bot may fetch (Telegram's limit for bots)


def handle(ctx: Ctx, on_text: Callable[[Ctx, str], None]) -> None:
    """Answer one unusual input; on_text takes words that came with it (as typed text)."""
    kind = ctx.incoming.kind
    words = (ctx.incoming.text or "").strip()
    if kind == "flood":
        ctx.say("dialog.input.slow_down", numbers=_numbers(ctx))
        return
    if kind == "location":
        _location(ctx, words, on_text)
        return
    if kind == "file" and words:
        # The file itself is of no use to us, but the words with it may be the request.
        ctx.say("dialog.input.file_words")
        on_text(ctx, words)
        return
    if kind == "too_big":
        if ctx.incoming.duration_s:
            ctx.say("dialog.input.voice_too_big",
                    minutes=max(1, round(ctx.incoming.duration_s / 60)))
        else:
            ctx.say("dialog.input.voice_too_big_size", limit=FETCH_LIMIT_MB)
    elif kind == "sticker":
        ctx.say("dialog.input.sticker")
    elif kind == "file":
        ctx.say("dialog.input.file")
    else:
        ctx.say("dialog.input.other")
    _ask_again(ctx)


def _location(ctx: Ctx, words: str, on_text: Callable[[Ctx, str], None]) -> None:
    """A venue's name or address helps where we wait for a place; a bare pin does not."""
    if ctx.conv.state in AREA_STEPS:
        # A venue comes as "name, address": the most precise part that names an area wins.
        for part in (p.strip() for p in words.split(",")):
            area = area_tools.match(ctx.session, part) if part else None
            if area is not None:
                onboarding.set_area(ctx, area)
                return
        if words:
            on_text(ctx, words)
            return
        ctx.say("dialog.input.location_area")
        _ask_again(ctx)
        return
    ctx.say("dialog.input.location")
    _ask_again(ctx)


def _ask_again(ctx: Ctx) -> None:
    """Repeat the question we wait for, so the last message is the one to answer."""
    step = ctx.conv.state
    if step.startswith("onb:") and step.split(":", 1)[1] in onboarding.STEPS:
        onboarding.ask(ctx, step.split(":", 1)[1],
                       parent_id=ctx.conv.data.get("area_parent") if step == "onb:area" else None)
    elif step == "vol:area":
        onboarding.ask_area(ctx, ctx.conv.data.get("area_parent"), purpose="vol")
        ctx.conv.state = "vol:area"


def _numbers(ctx: Ctx) -> str:
    joiner = "、" if ctx.lang == "zh" else ", "
    return joiner.join(ctx.settings.emergency_number_list())
