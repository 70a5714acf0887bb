"""Webhook mode: a FastAPI router for POST /telegram/webhook (the API app mounts it).

The router's lifespan registers the webhook at Telegram (when TELEGRAM_WEBHOOK_URL is set)
and runs the outbox sender, since no polling loop runs in this mode.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.types import Update
from fastapi import APIRouter, FastAPI, Header, Request
from fastapi.responses import JSONResponse
from sqlmodel import Session

from bot.menus import set_default_commands
from bot.sender import OutboxSender
from core.settings import Settings

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def make_webhook_router(
    settings: Settings,
    sessions: Callable[[], Session],
    *,
    bot: Bot | None = None,
    dispatcher: Dispatcher | None = None,
    run_sender: bool = True,
) -> APIRouter:
    """POST /telegram/webhook: check the secret header, then feed the update to aiogram."""
    from bot.runner import build_bot, build_dispatcher

    own_bot = bot is None
    bot = bot or build_bot(settings)
    dp = dispatcher or build_dispatcher(settings, sessions)
    tasks: set[asyncio.Task[Any]] = set()

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        stop = asyncio.Event()
        sender_task = None
        try:
            if settings.telegram_webhook_url:
                await set_webhook(bot, settings)
            await set_default_commands(bot)
        except Exception as exc:  # noqa: BLE001 - the API must come up even if Telegram is down
            log.warning("webhook setup at Telegram failed: %s", exc)
        if run_sender:
            sender = OutboxSender(bot, settings, sessions, wake=dp["outbox_wake"])
            sender_task = asyncio.create_task(sender.run(stop))
        try:
            yield
        finally:
            stop.set()
            if sender_task is not None:
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.wait_for(sender_task, timeout=15)
            if own_bot:
                await bot.session.close()

    router = APIRouter(lifespan=lifespan)

    @router.post("/telegram/webhook", include_in_schema=False)
    async def telegram_webhook(
        request: Request,
        secret: str | None = Header(default=None, alias=SECRET_HEADER),
    ) -> JSONResponse:
        expected = settings.telegram_webhook_secret
        if expected is None or not hmac.compare_digest(
            (secret or "").encode(), expected.get_secret_value().encode()
        ):
            return JSONResponse(
                {"error": {"code": "forbidden", "message": "bad webhook secret"}},
                status_code=403,
            )
        try:
            update = Update.model_validate(await request.json(), context={"bot": bot})
        except ValueError:
            return JSONResponse(
                {"error": {"code": "invalid_input", "message": "not a Telegram update"}},
                status_code=400,
            )
        # Answer Telegram at once; voice notes may take longer than its webhook timeout.
        task = asyncio.create_task(dp.feed_update(bot, update))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        return JSONResponse({"ok": True})

    return router


async def set_webhook(bot: Bot, settings: Settings) -> bool:
    """Register settings.telegram_webhook_url (with the secret) at Telegram."""
    if not settings.telegram_webhook_url:
        raise ValueError("TELEGRAM_WEBHOOK_URL is not set")
    secret = settings.telegram_webhook_secret
    return await bot.set_webhook(
        settings.telegram_webhook_url.rstrip("/") + "/telegram/webhook",
        secret_token=secret.get_secret_value() if secret else None,
    )
