"""Bad input over the HTTP API (data-driven: data/bad_input.toml): a polite JSON answer in the
caller's language, nothing with content lost, text stored verbatim and escaped in HTML."""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import func
from sqlmodel import Session, select

from api.app import create_app
from core.models import Area, HelpRequest, Resident, Volunteer
from core.settings import Settings

DATA = Path(__file__).resolve().parent / "data"
CASES: list[dict[str, Any]] = tomllib.loads(
    (DATA / "bad_input.toml").read_text(encoding="utf-8")
)["case"]
ADMIN_KEY = "lw-bad-input-admin-key-93kd"
CJK = re.compile(r"[\u4e00-\u9fff]")
HTML_TEXT = next(c["text"] for c in CASES if c["id"] == "html_script")


@pytest.fixture
def world(sessions: Callable[[], Session]) -> dict[str, int]:
    """One area, one resident (with private details) and one volunteer on duty."""
    with sessions() as session:
        area = Area(code="bad-area", level="district", name_zh="测试区", name_en="Test District")
        session.add(area)
        session.commit()
        resident = Resident(name="Bad Input", lang="en", area_id=area.id, address="9 Quiet Lane",
                            phone="13811112222", disability_types=["visual"],
                            consent_at=datetime.now(UTC))
        volunteer = Volunteer(name="Vol", home_area_id=area.id, on_duty=True,
                              skills=["reading", "escort"], languages=["zh", "en"])
        session.add_all([resident, volunteer])
        session.commit()
        return {"resident": resident.id or 0, "area": area.id or 0,
                "volunteer": volunteer.id or 0}


@pytest.fixture
def client(settings: Settings, sessions: Callable[[], Session]) -> Iterator[TestClient]:
    """The whole app (default body and upload limits), with an admin key."""
    app_settings = settings.model_copy(
        update={"admin_key": SecretStr(ADMIN_KEY), "rate_limit_per_minute": 100_000}
    )
    with TestClient(create_app(app_settings, sessions=sessions)) as test_client:
        yield test_client


def count_requests(sessions: Callable[[], Session]) -> int:
    """HelpRequest rows in the database."""
    with sessions() as session:
        return int(session.exec(select(func.count()).select_from(HelpRequest)).one())


def case_text(case: dict[str, Any]) -> str:
    """The text a case sends."""
    if "text_repeat" in case:
        return case["text_repeat"] * case["repeat"]
    return case.get("text", "")


def send(client: TestClient, case: dict[str, Any], resident_id: int, lang: str) -> Any:
    """POST the case to /api/v1/requests as JSON, or as a multipart voice upload."""
    headers = {"Authorization": f"Bearer {ADMIN_KEY}", "Accept-Language": lang}
    if "audio_bytes" in case:
        audio = os.urandom(case["audio_bytes"])
        return client.post(
            "/api/v1/requests", headers=headers,
            data={"resident_id": str(resident_id), "lang": "en"},
            files={"audio": (case["filename"], audio, "audio/ogg")},
        )
    return client.post("/api/v1/requests", headers=headers,
                       json={"resident_id": resident_id, "text": case_text(case)})


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("case", [
    pytest.param(c, id=c["id"], marks=[pytest.mark.xfail(strict=True, reason=c["xfail"])]
                 if "xfail" in c else [])
    for c in CASES
])
def test_bad_input_gets_a_polite_answer_and_nothing_is_lost(
    case: dict[str, Any], lang: str, client: TestClient, world: dict[str, int],
    sessions: Callable[[], Session],
) -> None:
    before = count_requests(sessions)
    response = send(client, case, world["resident"], lang)
    assert response.status_code == case["status"], response.text[:500]
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert "Traceback" not in response.text
    if response.status_code >= 400:
        message = body["error"]["message"]
        assert body["error"]["code"] and message
        # The answer is in the caller's language (Accept-Language).
        assert bool(CJK.search(message)) == (lang == "zh"), message
    after = count_requests(sessions)
    assert after == before + (1 if case["stored"] else 0)
    if not case["stored"]:
        return
    with sessions() as session:
        row = session.get(HelpRequest, body["id"])
    assert row is not None
    if "audio_bytes" in case:
        # Unreadable audio is kept (the request waits for a person), never thrown away.
        assert row.audio_path and Path(row.audio_path).is_file()
        assert Path(row.audio_path).stat().st_size == case["audio_bytes"]
        return
    text = case_text(case)
    assert row.text == text  # verbatim: no trimming, no escaping in the database
    shown = client.get(f"/api/v1/requests/{row.id}",
                       headers={"Authorization": f"Bearer {ADMIN_KEY}"})
    assert shown.status_code == 200
    assert shown.json()["text"] == text  # JSON-escaped on the way out, equal once decoded


def test_sql_text_left_the_tables_alone(client: TestClient, world: dict[str, int],
                                        sessions: Callable[[], Session]) -> None:
    case = next(c for c in CASES if c["id"] == "sql_injection")
    assert send(client, case, world["resident"], "en").status_code == 201
    assert send(client, case, world["resident"], "en").status_code == 201
    assert count_requests(sessions) == 2


def test_html_in_a_chat_message_is_escaped_in_the_page(client: TestClient) -> None:
    client.get("/?lang=en")
    assert client.post("/chat/start").status_code == 200
    said = client.post("/chat/message", json={"text": HTML_TEXT})
    assert said.status_code == 200
    history = client.get("/chat/history").json()["messages"]
    assert any(m.get("text") == HTML_TEXT for m in history)  # kept verbatim
    page = client.get("/").text  # the history is rendered into the page on reload
    assert "<script>alert(" not in page
    assert "<img src=x" not in page
    assert "&lt;script&gt;alert(" in page


def test_dashboard_page_holds_no_request_text(client: TestClient, world: dict[str, int]) -> None:
    case = next(c for c in CASES if c["id"] == "html_script")
    assert send(client, case, world["resident"], "en").status_code == 201
    page = client.get("/dashboard?lang=en")
    assert page.status_code == 200
    assert "<script>alert(" not in page.text and "onerror=alert" not in page.text
    queue = client.get("/api/v1/queue", headers={"Authorization": f"Bearer {ADMIN_KEY}"})
    assert queue.status_code == 200
    assert HTML_TEXT in queue.text or HTML_TEXT.replace('"', '\\"') in queue.text
