"""Error shape, languages, validation, body and upload limits, rate limits."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlmodel import Session, select

from api.app import create_app
from core.models import HelpRequest
from core.settings import Settings
from tests.api.conftest import ADMIN_KEY, World

ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}


def _error(response: object) -> dict[str, str]:
    body = response.json()  # type: ignore[attr-defined]
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    assert "Traceback" not in body["error"]["message"]
    return body["error"]


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("en-GB,en;q=0.8", "We could not find that."), ("zh-CN", "未找到相应内容。"),
     (None, "未找到相应内容。")],
)
def test_not_found_follows_accept_language(
    api_client: TestClient, api_world: World, lang: str | None, expected: str
) -> None:
    headers = dict(ADMIN)
    if lang:
        headers["Accept-Language"] = lang
    response = api_client.get("/api/v1/requests/999999", headers=headers)
    assert response.status_code == 404
    assert _error(response) == {"code": "not_found", "message": expected}


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/api/v1/requests/1/feedback", {"rating": 9}),
        ("POST", "/api/v1/requests/1/complete", {"hours": -1}),
        ("POST", "/api/v1/offers/1/accept", {}),
        ("POST", "/api/v1/requests", {"resident_id": "x", "text": ""}),
        ("GET", "/api/v1/requests/0", None),
        ("GET", "/api/v1/requests/99999999999999999999", None),
        ("GET", "/api/v1/queue?limit=100000", None),
        ("GET", "/api/v1/queue?category=nonsense", None),
        ("POST", "/api/v1/residents", {"name": "x", "area_id": 99999999999999999999}),
    ],
)
def test_bad_input_is_422_in_the_error_shape(
    api_client: TestClient, api_world: World, method: str, path: str, body: object
) -> None:
    response = api_client.request(method, path, json=body, headers=ADMIN)
    assert response.status_code == 422, response.text
    error = _error(response)
    assert error["code"] == "validation_error"


def test_malformed_json_and_bad_cursor(api_client: TestClient, api_world: World) -> None:
    response = api_client.post(
        "/api/v1/requests", content=b"{not json",
        headers={**ADMIN, "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    _error(response)
    response = api_client.get("/api/v1/queue?cursor=garbage!!", headers=ADMIN)
    assert response.status_code == 400
    assert _error(response)["code"] == "invalid_input"
    response = api_client.get("/api/v1/queue?status=flying", headers=ADMIN)
    assert response.status_code == 400


def test_unknown_path_and_method(api_client: TestClient) -> None:
    assert _error(api_client.get("/api/v1/nothing-here"))["code"] == "not_found"
    response = api_client.put("/healthz")
    assert response.status_code == 405
    _error(response)


def test_missing_and_malformed_keys_are_401(api_client: TestClient, api_world: World) -> None:
    for headers in ({}, {"Authorization": "Basic abc"}, {"Authorization": "Bearer "},
                    {"Authorization": "Bearer lw_x"}, {"Authorization": "Bearer lw_abc_def"}):
        response = api_client.get("/api/v1/queue", headers=headers)
        assert response.status_code == 401
        assert _error(response)["code"] == "unauthorized"
        assert response.headers["www-authenticate"] == "Bearer"


def _small_app(settings: Settings, sessions: Callable[[], Session], **limits: int) -> TestClient:
    tuned = settings.model_copy(update={"admin_key": SecretStr(ADMIN_KEY), **limits})
    return TestClient(create_app(tuned, sessions=sessions))


def test_body_limit_413(
    settings: Settings, sessions: Callable[[], Session], api_world: World
) -> None:
    client = _small_app(settings, sessions, max_body_bytes=200, max_upload_bytes=400)
    big = {"resident_id": api_world.ids["res_a"], "text": "x" * 500}
    response = client.post("/api/v1/requests", json=big, headers=ADMIN)
    assert response.status_code == 413
    assert _error(response)["code"] == "too_large"

    def chunks() -> object:  # no Content-Length: counted while streaming
        for _ in range(10):
            yield b"x" * 100

    response = client.post("/api/v1/requests", content=chunks(),
                           headers={**ADMIN, "Content-Type": "application/json"})
    assert response.status_code == 413
    response = client.post(
        "/api/v1/requests", data={"resident_id": str(api_world.ids["res_a"])},
        files={"audio": ("note.ogg", b"\0" * 1000, "audio/ogg")}, headers=ADMIN,
    )
    assert response.status_code == 413
    with sessions() as session:  # nothing half-stored
        assert len(session.exec(select(HelpRequest)).all()) == 2


def test_rate_limit_429_with_retry_after(
    settings: Settings, sessions: Callable[[], Session], api_world: World
) -> None:
    client = _small_app(settings, sessions, rate_limit_per_minute=5)
    codes = [client.get("/api/v1/areas", headers=ADMIN).status_code for _ in range(5)]
    assert codes == [200] * 5
    response = client.get("/api/v1/areas", headers=ADMIN)
    assert response.status_code == 429
    assert 1 <= int(response.headers["retry-after"]) <= 60
    assert _error(response)["code"] == "rate_limited"
    # The limit is per client address too: another key from the same address is also held.
    other = client.get("/api/v1/areas", headers=api_world.auth("vol_a"))
    assert other.status_code == 429
    assert client.get("/healthz").status_code == 200  # probes are never throttled


def test_audio_upload_is_stored_even_when_it_cannot_be_transcribed(
    api_client: TestClient, api_world: World, settings: Settings,
    sessions: Callable[[], Session],
) -> None:
    response = api_client.post(
        "/api/v1/requests",
        data={"resident_id": str(api_world.ids["res_a"]), "lang": "zh"},
        files={"audio": ("note.ogg", b"not really audio", "audio/ogg")},
        headers=api_world.auth("res_a"),
    )
    assert response.status_code == 201, response.text
    with sessions() as session:
        req = session.get(HelpRequest, response.json()["id"])
        assert req is not None and req.audio_path
        stored = Path(req.audio_path)
    assert stored.read_bytes() == b"not really audio"
    assert stored.is_relative_to(settings.media_dir.resolve()) or stored.is_relative_to(
        settings.media_dir
    )
    missing = api_client.post(
        "/api/v1/requests", data={"resident_id": str(api_world.ids["res_a"])},
        files={"other": ("x.txt", b"x", "text/plain")}, headers=api_world.auth("res_a"),
    )
    assert missing.status_code == 422
