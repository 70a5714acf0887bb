"""Fixtures for dialog tests: the tiny world and a talk() helper."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlmodel import Session

from core.dialog import Incoming, Turn, UserRef, handle_turn
from core.settings import Settings
from tests.core.dialog.world import NOW, World, build_world


@pytest.fixture
def world(sessions: Callable[[], Session]) -> World:
    """The tiny world, built in the test database."""
    with sessions() as session:
        return build_world(session)


Talk = Callable[..., Turn]


@pytest.fixture
def talk(sessions: Callable[[], Session], settings: Settings) -> Talk:
    """talk(tg_id, kind, **fields) → the Turn, each in a fresh session like a real adapter."""

    def _talk(who: int, kind: str, *, lang_hint: str | None = "en", name: str | None = None,
              **fields: object) -> Turn:
        user = UserRef(channel="telegram", external_id=str(who), lang_hint=lang_hint,
                       name=name or f"User {who}")
        with sessions() as session:
            return handle_turn(session, settings=settings, user=user,
                               incoming=Incoming(kind=kind, **fields), now=NOW)  # type: ignore[arg-type]

    return _talk
