"""Fixtures for bot tests: the fake Bot API server, bot settings, a running bot."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from pydantic import SecretStr
from sqlmodel import Session

from bot.runner import run_bot
from core.settings import Settings
from tests.bot.fake_telegram import TOKEN, FakeTelegram
from tests.core.dialog.world import World, build_world


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    """A started fake Telegram server."""
    server = FakeTelegram()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def bot_settings(settings: Settings, fake: FakeTelegram) -> Settings:
    """Settings pointing the bot at the fake server."""
    return settings.model_copy(update={"telegram_bot_token": SecretStr(TOKEN),
                                       "telegram_api_base": fake.base_url})


@pytest.fixture
def world(sessions: Callable[[], Session]) -> World:
    """The tiny world of the dialog tests."""
    with sessions() as session:
        return build_world(session)


class RunningBot:
    """Starts run_bot() as a task; stop() ends it and waits."""

    def __init__(self, settings: Settings, sessions: Callable[[], Session]) -> None:
        self.settings = settings
        self.sessions = sessions
        self.stop_event = asyncio.Event()
        self.task: asyncio.Task[Any] | None = None

    async def start(self) -> RunningBot:
        """Start polling and sending."""
        self.stop_event = asyncio.Event()
        self.task = asyncio.create_task(
            run_bot(self.settings, self.sessions, stop_event=self.stop_event, polling_timeout=1)
        )
        return self

    async def stop(self) -> None:
        """Stop and wait for the bot to finish."""
        self.stop_event.set()
        if self.task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(self.task, timeout=20)
            self.task = None


@pytest.fixture
async def running(bot_settings: Settings,
                  sessions: Callable[[], Session]) -> AsyncIterator[RunningBot]:
    """A bot running against the fake server for the test's duration."""
    bot = RunningBot(bot_settings, sessions)
    await bot.start()
    yield bot
    await bot.stop()
