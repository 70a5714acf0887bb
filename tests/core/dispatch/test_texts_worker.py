"""Every dispatch text exists in all four locales; the worker loop runs and stops."""

from __future__ import annotations

import re
import threading
import time
import tomllib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlmodel import Session

from core import dispatch, texts
from core.models import Category, Disability, HelpRequest, RequestStatus, Urgency
from core.settings import Settings
from tests.core.dispatch.factories import small_world

ROOT = Path(__file__).resolve().parents[3]
LOCALES = ("zh", "en", "zh-easy", "en-easy")


def _keys(locale: str) -> dict[str, str]:
    out: dict[str, str] = {}
    texts._flatten("", tomllib.loads(
        (ROOT / "prompts" / "texts" / locale / "dispatch.toml").read_text("utf-8")), out)
    return out


def _used_keys() -> set[str]:
    found: set[str] = set()
    for path in (ROOT / "core" / "dispatch").glob("*.py"):
        found |= set(re.findall(r'"((?:dispatch\.[a-z_]+|offer)\.[a-z_]+)"', path.read_text()))
    found |= {f"dispatch.category.{c}" for c in Category}
    found |= {f"dispatch.urgency.{u}" for u in Urgency}
    found |= {f"dispatch.disability.{d}" for d in Disability}
    found |= {f"dispatch.status.{s}" for s in RequestStatus}
    return found


@pytest.mark.parametrize("locale", LOCALES)
def test_every_key_in_every_locale(locale: str) -> None:
    keys = _keys(locale)
    english = _keys("en")
    assert set(keys) == set(english)
    assert _used_keys() <= set(keys), _used_keys() - set(keys)
    for key, template in keys.items():
        # A locale may say less, never ask for a value the code does not give.
        assert texts.placeholders(template) <= texts.placeholders(english[key]), key


def test_run_worker_ticks_and_stops(
    session: Session, sessions: Callable[[], Session], settings: Settings
) -> None:
    w = small_world(session)
    req = dispatch.create_request(session, settings=settings,
                                  resident_id=w.residents["blind"].id, text="help",
                                  category="errands")
    req = dispatch.confirm_request(session, settings=settings, request_id=req.id, actor="system")
    past = datetime.now(UTC) - timedelta(seconds=5)
    session.execute(update(HelpRequest).where(HelpRequest.id == req.id).values(deadline=past))
    session.commit()
    stop = threading.Event()
    fast = settings.model_copy(update={"worker_interval_s": 0.05})
    worker = threading.Thread(target=dispatch.run_worker, args=(sessions,),
                              kwargs={"settings": fast, "stop": stop})
    worker.start()
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            session.expire_all()
            if session.scalar(select(HelpRequest.ring).where(HelpRequest.id == req.id)) == 1:
                break
            time.sleep(0.05)
    finally:
        stop.set()
        worker.join(timeout=10)
    assert not worker.is_alive()
    session.expire_all()
    assert session.get(HelpRequest, req.id).ring == 1
