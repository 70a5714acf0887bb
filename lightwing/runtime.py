"""Process wiring: the HTTP server with its worker and bot, or each part alone."""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from collections.abc import Callable
from contextlib import suppress
from typing import Any

from core.settings import Settings

log = logging.getLogger("lightwing")


def _configure_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")


def build_app(settings: Settings, sessions: Callable[[], Any], *, webhook: bool) -> Any:
    """The FastAPI app: JSON API, web chat, dashboard and (optionally) the Telegram webhook."""
    from api.app import create_app

    app = create_app(settings, sessions=sessions)
    if webhook and settings.telegram_bot_token is not None:
        from bot.webhook import make_webhook_router

        app.include_router(make_webhook_router(settings, sessions))
    return app


def _sessions(settings: Settings) -> Callable[[], Any]:
    from core.db import engine_from_settings, session_factory

    return session_factory(engine_from_settings(settings))


def _start_worker(settings: Settings, sessions: Callable[[], Any]) -> threading.Event:
    from core.dispatch import run_worker

    stop = threading.Event()
    thread = threading.Thread(
        target=run_worker,
        args=(sessions,),
        kwargs={"settings": settings, "stop": stop},
        name="lightwing-worker",
        daemon=True,
    )
    thread.start()
    return stop


def run_server(settings: Settings, *, with_worker: bool, with_bot: bool) -> int:
    """Serve HTTP on LIGHTWING_HOST:LIGHTWING_PORT, with the worker and bot when asked."""
    import uvicorn

    _configure_logging()
    sessions = _sessions(settings)
    has_token = settings.telegram_bot_token is not None
    webhook = with_bot and has_token and settings.telegram_webhook_url is not None
    app = build_app(settings, sessions, webhook=webhook)
    worker_stop = _start_worker(settings, sessions) if with_worker else None
    polling = with_bot and has_token and not webhook

    async def main() -> None:
        server = uvicorn.Server(
            uvicorn.Config(app, host=settings.host, port=settings.port, log_level="info")
        )
        bot_stop = asyncio.Event()
        bot_task = None
        if polling:
            from bot.runner import run_bot

            bot_task = asyncio.create_task(run_bot(settings, sessions, stop_event=bot_stop))
        try:
            await server.serve()
        finally:
            bot_stop.set()
            if bot_task is not None:
                with suppress(asyncio.CancelledError, Exception):
                    await asyncio.wait_for(bot_task, timeout=10)

    try:
        asyncio.run(main())
    finally:
        if worker_stop is not None:
            worker_stop.set()
    return 0


def run_worker_process(settings: Settings, sessions: Callable[[], Any]) -> int:
    """Run the dispatch worker in the foreground until SIGTERM/SIGINT."""
    from core.dispatch import run_worker

    _configure_logging()
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    run_worker(sessions, settings=settings, stop=stop)
    return 0


def run_bot_process(settings: Settings, sessions: Callable[[], Any]) -> int:
    """Run the Telegram bot (long polling and the outbox sender) until SIGTERM/SIGINT."""
    from bot.runner import run_bot

    _configure_logging()

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await run_bot(settings, sessions, stop_event=stop)

    asyncio.run(main())
    return 0
