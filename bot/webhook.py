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

from bot import inbox
from bot.menus import set_default_commands
from bot.polling import Feeder, housekeeping
from bot.sender import OutboxSender
from core.db import session_scope
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
    feeder = Feeder(bot, dp, sessions)

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
        # Updates another API process took and then died with come back after their lease.
        keeper = asyncio.create_task(housekeeping(feeder, sessions, stop))
        try:
            yield
        finally:
            stop.set()
            for task in (sender_task, keeper):
                if task is not None:
                    with contextlib.suppress(asyncio.CancelledError):
                        await asyncio.wait_for(task, timeout=15)
            await feeder.drain(timeout=10)
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
            raw = await request.json()
            update = Update.model_validate(raw, context={"bot": bot})
        except ValueError:
            return JSONResponse(
                {"error": {"code": "invalid_input", "message": "not a Telegram update"}},
                status_code=400,
            )
        try:
            # Kept before Telegram hears "ok": after that it never sends the update again.
            await asyncio.to_thread(_store, sessions, bot.id, raw)
        except Exception:  # noqa: BLE001 - an error status makes Telegram try again later
            log.exception("webhook update not stored")
            return JSONResponse(
                {"error": {"code": "unavailable", "message": "try again"}}, status_code=503,
            )
        # Answer Telegram at once; voice notes may take longer than its webhook timeout.
        feeder.feed(update)
        return JSONResponse({"ok": True})

    return router


def _store(sessions: Callable[[], Session], bot_id: int, raw: dict[str, Any]) -> None:
    with session_scope(sessions) as session:
        inbox.store(session, bot_id, [raw])


async def set_webhook(bot: Bot, settings: Settings) -> bool:
    """Register settings.telegram_webhook_url (with the secret) at Telegram."""
    if not settings.telegram_webhook_url:
        raise ValueError("TELEGRAM_WEBHOOK_URL is not set")
    secret = settings.telegram_webhook_secret
    return await bot.set_webhook(
        settings.telegram_webhook_url.rstrip("/") + "/telegram/webhook",
        secret_token=secret.get_secret_value() if secret else None,
    )
