"""The FastAPI application: JSON API under /api/v1, health, metrics, web pages when present."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from sqlmodel import Session

from api.bodylimit import BodyLimitMiddleware
from api.deps import LoopConnection, PrincipalCache, ThreadConnections
from api.errors import install_error_handlers
from api.metrics import HttpCounter, MetricsMiddleware
from api.ratelimit import RateLimitMiddleware
from api.routes import (
    areas,
    classify,
    health,
    keys,
    ledger,
    offers,
    queue,
    requests,
    residents,
    stats,
    teams,
    volunteers,
)
from core.settings import Settings

log = logging.getLogger("lightwing.api")

# Matched in this order, and matching every router a path passes costs time: the coordinators'
# queue, by far the busiest route, goes first (no two routers share a path).
ROUTERS = (
    queue, health, classify, requests, offers, stats, residents, volunteers, teams, areas,
    ledger, keys,
)


def create_app(settings: Settings, *, sessions: Callable[[], Session] | None = None) -> FastAPI:
    """The app for these settings; sessions defaults to a factory on settings' database."""
    owned_engine = None
    if sessions is None:
        from core.db import engine_from_settings, session_factory

        owned_engine = engine_from_settings(settings)
        sessions = session_factory(owned_engine)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            app.state.loop_connection.close()
            app.state.thread_connections.close()
            # Close the pool we opened; a factory passed in belongs to the caller.
            if owned_engine is not None:
                owned_engine.dispose()

    app = FastAPI(
        lifespan=lifespan,
        title="Lightwing API",
        version="1.0.0",
        description="Help requests of disabled residents, volunteer offers, queues and ledger.",
    )
    app.state.settings = settings
    app.state.sessions = sessions
    # The engine behind the sessions (making a session does no I/O): the busiest route takes
    # its connections straight from the engine's pool (LoopConnection, ThreadConnections).
    probe = sessions()
    app.state.engine = probe.get_bind().engine
    probe.close()
    app.state.loop_connection = LoopConnection(app.state.engine)
    app.state.thread_connections = ThreadConnections(app.state.engine)
    app.state.principals = PrincipalCache()
    app.state.http_counter = HttpCounter()
    install_error_handlers(app)
    for module in ROUTERS:
        app.include_router(module.router)
    _include_web(app)
    # Added last = outermost: count every response, throttle before reading bodies.
    app.add_middleware(
        BodyLimitMiddleware,
        max_body=settings.max_body_bytes,
        max_upload=settings.max_upload_bytes,
    )
    app.add_middleware(RateLimitMiddleware, limit_per_minute=settings.rate_limit_per_minute)
    app.add_middleware(MetricsMiddleware, counter=app.state.http_counter)
    return app


def _include_web(app: FastAPI) -> None:
    """The web chat and dashboard pages live in api.web (another part); include them if built."""
    try:
        from api.web.routes import router as web_router
    except ImportError as exc:
        log.info("web pages not included: %s", exc)
        return
    app.include_router(web_router)


def app_from_env() -> Any:
    """`uvicorn --factory api.app:app_from_env`: settings from the environment."""
    from core.settings import get_settings

    return create_app(get_settings())
