"""FastAPI dependencies of the web pages: settings and the session factory from the app state."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request
from sqlmodel import Session

from core.settings import Settings


def web_settings(request: Request) -> Settings:
    """The settings create_app() put on the application state."""
    return request.app.state.settings


def web_sessions(request: Request) -> Callable[[], Session]:
    """The session factory create_app() put on the application state."""
    return request.app.state.sessions
