"""Every handler router, in the order they must be tried."""

from __future__ import annotations

from aiogram import Router


def all_routers() -> list[Router]:
    """Fresh routers: commands before plain text; buttons; media; anything else last."""
    from bot.handlers import buttons, commands, media, messages, other

    return [m.make_router() for m in (commands, buttons, media, messages, other)]
