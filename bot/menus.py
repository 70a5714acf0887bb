"""Per-role command menus (setMyCommands), in the user's language."""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import BotCommand, BotCommandScopeChat, BotCommandScopeDefault

from bot.retry import call_with_retry
from core import texts

ROLE_COMMANDS: dict[str, tuple[str, ...]] = {
    "resident": ("start", "my", "cancel", "settings", "help"),
    "carer": ("start", "my", "cancel", "settings", "help"),
    "volunteer": ("tasks", "duty", "me", "volunteer", "help"),
    "coordinator": ("queue", "tasks", "duty", "me", "help"),
}
DEFAULT_COMMANDS = ("start", "my", "cancel", "settings", "volunteer", "help")


def commands_for(roles: list[str], lang: str) -> list[BotCommand]:
    """The commands of every role the person has, each once, described in lang."""
    names: list[str] = []
    for role in roles or ["resident"]:
        for name in ROLE_COMMANDS.get(role, ()):
            if name not in names:
                names.append(name)
    return [BotCommand(command=n, description=texts.get(f"bot.cmd.{n}", lang)) for n in names]


async def set_default_commands(bot: Bot) -> None:
    """The menu for people we do not know yet: Chinese by default, English for en clients."""
    for lang, code in (("zh", None), ("en", "en")):
        cmds = [BotCommand(command=n, description=texts.get(f"bot.cmd.{n}", lang))
                for n in DEFAULT_COMMANDS]
        await call_with_retry(lambda c=cmds, lc=code: bot.set_my_commands(
            c, scope=BotCommandScopeDefault(), language_code=lc))


class MenuCache:
    """Sets a chat's menu only when its roles or language change."""

    def __init__(self) -> None:
        self._seen: dict[int, tuple[tuple[str, ...], str]] = {}

    async def ensure(self, bot: Bot, chat_id: int, roles: list[str], lang: str) -> None:
        """Set the chat's command menu if it differs from the last one set."""
        wanted = (tuple(roles), lang)
        if self._seen.get(chat_id) == wanted or not roles:
            return
        await call_with_retry(lambda: bot.set_my_commands(
            commands_for(roles, lang), scope=BotCommandScopeChat(chat_id=chat_id)))
        self._seen[chat_id] = wanted
