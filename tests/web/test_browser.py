"""The web chat and the dashboard in a real headless Chromium (playwright-core + axe-core).

One uvicorn server on a free port over a seeded SQLite database; one Node run of browser.cjs
drives the browser through every check and reports JSON, which the tests below judge.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlmodel import Session, select

from core import dispatch
from core.db import make_engine, session_factory, upgrade_schema
from core.models import Area, Coordinator, Event, HelpRequest, Resident, Volunteer
from core.seed.demo import seed_demo
from core.services import apikeys
from core.settings import Settings

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
NODE_MODULES = ROOT / "node_modules"
SCRIPT = Path(__file__).with_name("browser.cjs")
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
OVERDUE_TEXT = "Could someone buy my medicine at the pharmacy today?"
REQUEST_TEXT = "Please go with me to the hospital tomorrow morning, I use a wheelchair."


def _missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if not CHROMIUM.exists():
        return "Debian chromium is not installed (/usr/bin/chromium)"
    if shutil.which("node") is None:
        return "node is not installed"
    for package in ("playwright-core", "axe-core"):
        if not (NODE_MODULES / package / "package.json").is_file():
            return f"node_modules/{package} is missing: run `npm ci` at the repository root"
    return None


@dataclass
class Live:
    """A running server and what the browser needs to use it."""

    base: str
    key: str
    sessions: Callable[[], Session]
    volunteer_id: int


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _app(settings: Settings, sessions: Callable[[], Session]) -> Any:
    from api.app import create_app

    return create_app(settings, sessions=sessions)


def _overdue_request(session: Session, settings: Settings, *, area_id: int) -> int:
    """A request offered five hours ago whose answer is long overdue."""
    resident = session.exec(
        select(Resident).where(Resident.area_id.is_not(None)).order_by(Resident.id)  # type: ignore[union-attr, arg-type]
    ).first()
    assert resident is not None
    past = datetime.now(UTC) - timedelta(hours=5)
    request = dispatch.create_request(
        session, settings=settings, resident_id=resident.id, text=OVERDUE_TEXT, lang="en",
        now=past,
    )
    if request.status in ("classified", "needs_clarification"):
        request = dispatch.confirm_request(
            session, settings=settings, request_id=request.id, actor=f"resident:{resident.id}",
            category=request.category or "errands", now=past,
        )
    assert request.deadline is not None and request.id is not None
    return request.id


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """The whole app on 127.0.0.1:<free port>, with the demo district and a coordinator key."""
    reason = _missing()
    if reason:
        pytest.skip(reason)
    folder = tmp_path_factory.mktemp("browser")
    url = f"sqlite:///{folder / 'lightwing.db'}"
    upgrade_schema(url)
    engine = make_engine(url)
    sessions = session_factory(engine)
    settings = Settings(database_url=url, data_dir=folder / "data")
    with sessions() as session:
        seed_demo(session)
        # The district desk: its coordinator sees every area of the demo district.
        desk = session.exec(select(Coordinator).where(Coordinator.code == "coord-xh")).one()
        _, key = apikeys.create_key(
            session, role="coordinator", area_ids=[desk.area_id], subject_id=desk.id,
            name="browser test",
        )
        _overdue_request(session, settings, area_id=desk.area_id)
        volunteer = session.exec(select(Volunteer).order_by(Volunteer.id)).first()  # type: ignore[arg-type]
        assert volunteer is not None and volunteer.id is not None
        volunteer_id = volunteer.id
    port = _free_port()
    config = uvicorn.Config(
        _app(settings, sessions), host="127.0.0.1", port=port, log_level="warning",
        lifespan="on", ws="none",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the test server did not start")
        time.sleep(0.05)
    try:
        yield Live(f"http://127.0.0.1:{port}", key, sessions, volunteer_id)
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        engine.dispose()


@pytest.fixture(scope="module")
def results(live: Live) -> dict[str, Any]:
    """What browser.cjs saw (one Chromium run for all checks)."""
    config = {
        "base": live.base,
        "key": live.key,
        "artifacts": str(ARTIFACTS),
        "nodeModules": str(NODE_MODULES),
        "request": REQUEST_TEXT,
        "volunteerId": live.volunteer_id,
    }
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLAYWRIGHT")}
    done = subprocess.run(
        ["node", str(SCRIPT), json.dumps(config)],
        capture_output=True, text=True, timeout=300, cwd=ROOT, env=env, check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    assert lines, f"no result from browser.cjs; stderr: {done.stderr[-4000:]}"
    report: dict[str, Any] = json.loads(lines[-1])
    dump = json.dumps(report, indent=2, ensure_ascii=False)
    (ARTIFACTS / "browser-results.json").write_text(dump, encoding="utf-8")
    return report


def test_browser_run_had_no_script_errors(results: dict[str, Any]) -> None:
    """Every step ran, and the pages threw no JavaScript error."""
    assert results["errors"] == []
    assert results["console"] == []


def test_axe_finds_no_violations(results: dict[str, Any]) -> None:
    """axe-core: no violations on every page, in zh and en, in normal, large and contrast modes."""
    labels = {scan["label"] for scan in results["axe"]}
    for page in ("chat", "dashboard-login", "dashboard"):
        for lang in ("zh", "en"):
            for mode in ("normal", "large", "contrast"):
                assert f"{page} {lang} {mode}" in labels
    assert {"chat en prefers-contrast", "chat en forced-colors"} <= labels
    bad = {scan["label"]: scan["violations"] for scan in results["axe"] if scan["violations"]}
    assert bad == {}, json.dumps(bad, indent=1, ensure_ascii=False)[:6000]


def test_resident_completes_a_request_by_keyboard(results: dict[str, Any], live: Live) -> None:
    """Tab, Enter and Space only: onboarding, the request, the confirmation, each announced."""
    k = results["keyboard"]
    assert k["skipLinkFirst"] and k["skipLinkVisible"] and k["skipLinkMovesFocus"]
    assert k["live"] == {"role": "log", "live": "polite"}
    assert k["steps"], "no button was pressed"
    assert {step["key"] for step in k["steps"]} == {"Enter", "Space"}
    assert all(step["focusRing"] not in ("none", "") for step in k["steps"])
    # The request was confirmed: by its read-back button, or by choosing the kind of help.
    assert any(step["action"].startswith(("req:confirm:", "cat:")) for step in k["steps"])
    assert k["final"]["inLiveLog"] and k["final"]["text"].strip()
    assert k["final"]["lang"] == "en"
    assert k["inputCleared"] and k["historyKept"]
    with live.sessions() as session:
        request = session.exec(
            select(HelpRequest).where(HelpRequest.text == REQUEST_TEXT)
        ).one()
        assert request.channel == "web"
        assert request.status not in ("new", "classified", "needs_clarification")


def test_coordinator_sees_new_request_live_and_reassigns(
    results: dict[str, Any], live: Live
) -> None:
    """The new request appears without a reload, is announced, and is reassigned."""
    d = results["dashboard"]
    assert d["live"] and d["notReloaded"]
    assert len(d["newRows"]) == 1
    assert "New" in d["newRows"][0]["text"]  # marked in words, not by colour
    request_id = d["requestId"]
    assert str(request_id) in d["announced"]
    assert str(request_id) in d["reassignResult"]
    with live.sessions() as session:
        request = session.get(HelpRequest, request_id)
        assert request is not None and request.text == REQUEST_TEXT
        events = session.exec(
            select(Event).where(Event.request_id == request_id).order_by(Event.id)  # type: ignore[arg-type]
        ).all()
        kinds = [e.kind for e in events]
        actors = [e.actor for e in events]
    assert kinds[-1] in ("assigned", "reassigned"), kinds
    assert actors[-1].startswith("coordinator:"), actors
    assert len(d["events"]) == len(kinds)
    # The resident's open chat was told, from the outbox, without a reload.
    assert d["residentNotified"]["inLiveLog"] and d["residentNotified"]["text"].strip()
    # Overdue is said in words (and an icon), not by colour alone.
    assert d["overdueRows"], "the seeded overdue request is not listed"
    assert all(row["marked"] and "Overdue" in row["text"] for row in d["overdueRows"])
    assert "intact" in d["ledger"]


def test_dashboard_names_areas_in_the_page_language(
    results: dict[str, Any], live: Live
) -> None:
    """Rows, the area filter, the charts and the detail say "Xinghe District", not "Area 14"."""
    d = results["dashboard"]
    with live.sessions() as session:
        areas = session.exec(select(Area)).all()
        names = {area.id: area.name_en for area in areas}
        names_zh = {area.name_zh for area in areas}
    bare = re.compile(r"^Area \d+$")
    by_lang = d["areaCellsByLang"]
    assert by_lang["zh"] and set(by_lang["zh"]) <= names_zh, by_lang["zh"]
    assert by_lang["en"] and set(by_lang["en"]) <= set(names.values()), by_lang["en"]
    assert d["areaCells"] and set(d["areaCells"]) <= set(names.values()), d["areaCells"]
    options = {int(o["value"]): o["text"] for o in d["areaOptions"] if o["value"]}
    assert set(options) == set(names)
    assert all(names[i] in text and not bare.match(text) for i, text in options.items())
    by_area = [c for c in d["charts"] if c["caption"] == "Open requests by area"]
    assert by_area and by_area[0]["rows"], d["charts"]
    assert set(by_area[0]["rows"]) <= set(names.values()), by_area
    shown = dict(d["detailFields"])
    assert shown["Area"] in names.values(), shown


def test_spoken_replies_play_in_the_page(results: dict[str, Any]) -> None:
    """A reply's <audio controls> loads the server's OGG/Opus in Chromium."""
    audio = results["keyboard"]["audio"]
    assert audio["found"] and audio["controls"] and audio["label"]
    assert audio["ok"], audio


def test_voice_note_recorded_in_the_browser_is_answered(results: dict[str, Any]) -> None:
    """MediaRecorder (fake microphone) → upload → speech-to-text → the dialog answers."""
    voice = results["voice"]
    assert voice["recordingStatus"] and voice["stopLabel"]
    assert voice["said"].strip() and voice["error"] == ""
    assert voice["reply"]["inLiveLog"] and voice["reply"]["text"].strip()


def test_pages_reflow_at_320_css_pixels(results: dict[str, Any]) -> None:
    """WCAG 1.4.10: no sideways scrolling at 320 px, also in large text."""
    assert len(results["reflow"]) == 8
    wide = [r for r in results["reflow"] if r["width"] > 320]
    assert wide == []


def test_language_chosen_in_chat_switches_the_page(results: dict[str, Any]) -> None:
    """On the Chinese page, choosing English (by keyboard) turns the page and replies English."""
    switch = results["langSwitch"]
    assert switch["before"] == "zh-Hans" and switch["after"] == "en"
    assert switch["heading"] == "Ask for help"
    assert switch["next"]["lang"] == "en" and switch["next"]["actions"]
