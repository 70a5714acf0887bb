"""The authorisation matrix: each role against each endpoint, with area scoping."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from api.app import create_app
from core.db import make_engine, session_factory
from core.services import apikeys
from core.settings import Settings
from tests.api.conftest import World

CASES: list[dict[str, Any]] = tomllib.loads(
    (Path(__file__).parent / "data" / "auth_matrix.toml").read_text(encoding="utf-8")
)["case"]


def _fill(value: Any, ids: dict[str, int]) -> Any:
    """Replace "{name}" strings by the world's ids."""
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        return ids[value[1:-1]]
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


@pytest.mark.parametrize("case", CASES, ids=[f"{c['method']} {c['path']}" for c in CASES])
def test_matrix(case: dict[str, Any], api_client: TestClient, api_world: World) -> None:
    path = case["path"].format(**api_world.ids)
    body = _fill(case.get("body"), api_world.ids)
    got = {}
    for who in case["expect"]:
        headers = {"Authorization": "Bearer lw_nope_nope"} if who == "bad" else api_world.auth(who)
        response = api_client.request(case["method"], path, json=body, headers=headers)
        got[who] = response.status_code
        if response.status_code >= 400:
            error = response.json()["error"]
            assert set(error) == {"code", "message"} and error["message"]
    assert got == case["expect"]


def test_coordinator_queue_never_shows_other_district(
    api_client: TestClient, api_world: World
) -> None:
    ids = api_world.ids
    for who, mine, theirs in (("coord_a", "req_a", "req_b"), ("coord_b", "req_b", "req_a")):
        items = api_client.get("/api/v1/queue", headers=api_world.auth(who)).json()["items"]
        seen = {item["id"] for item in items}
        assert ids[mine] in seen and ids[theirs] not in seen
        # Asking for the other district explicitly still shows nothing of it.
        other = "area_b" if who == "coord_a" else "area_a"
        response = api_client.get(
            "/api/v1/queue", params={"area": ids[other]}, headers=api_world.auth(who)
        )
        assert response.json()["items"] == []
    admin = api_client.get("/api/v1/queue", headers=api_world.auth("admin")).json()["items"]
    assert {ids["req_a"], ids["req_b"]} <= {item["id"] for item in admin}


def test_coordinator_lists_only_own_residents_and_stats(
    api_client: TestClient, api_world: World
) -> None:
    ids = api_world.ids
    residents = api_client.get("/api/v1/residents", headers=api_world.auth("coord_a")).json()
    assert [r["id"] for r in residents] == [ids["res_a"]]
    assert residents[0]["address"] == "a Road 1"
    stats = api_client.get("/api/v1/stats", headers=api_world.auth("coord_a")).json()
    assert stats["open_total"] == 1
    assert set(stats["open_by_area"]) == {str(ids["area_a1"])}


def test_private_details_only_for_area_staff_and_accepted_volunteer(
    api_client: TestClient, api_world: World
) -> None:
    path = f"/api/v1/requests/{api_world.ids['req_a']}"
    as_offered_volunteer = api_client.get(path, headers=api_world.auth("vol_a")).json()
    assert "address" not in as_offered_volunteer["resident"]
    assert "phone" not in as_offered_volunteer["resident"]
    assert [o["volunteer_id"] for o in as_offered_volunteer["offers"]] == [api_world.ids["vol_a"]]
    as_coordinator = api_client.get(path, headers=api_world.auth("coord_a")).json()
    assert as_coordinator["resident"]["address"] == "a Road 1"
    assert as_coordinator["resident"]["disability_types"] == ["visual"]
    assert len(as_coordinator["offers"]) == 2


def test_revoked_key_is_refused(api_client: TestClient, api_world: World) -> None:
    created = api_client.post(
        "/api/v1/keys", json={"role": "coordinator", "area_ids": [api_world.ids["area_b"]]},
        headers=api_world.auth("admin"),
    )
    assert created.status_code == 201
    token, key_id = created.json()["key"], created.json()["id"]
    assert token.startswith("lw_")
    headers = {"Authorization": f"Bearer {token}"}
    assert api_client.get("/api/v1/queue", headers=headers).status_code == 200
    listed = api_client.get("/api/v1/keys", headers=api_world.auth("admin")).json()
    assert all("hash" not in k and "key" not in k for k in listed)
    revoked = api_client.delete(f"/api/v1/keys/{key_id}", headers=api_world.auth("admin"))
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert api_client.get("/api/v1/queue", headers=headers).status_code == 401


def test_area_desk_key_never_acts_as_admin(api_client: TestClient, api_world: World) -> None:
    """A coordinator key made for an area without a coordinator id is scoped, not admin."""
    ids = api_world.ids
    desk = {**api_world.auth("coord_b"), "Accept-Language": "en"}
    for action, body in (("cancel", {}), ("reassign", {"volunteer_id": ids["vol_b"]})):
        response = api_client.post(f"/api/v1/requests/{ids['req_b']}/{action}", json=body,
                                   headers=desk)
        assert response.status_code == 403
        assert "area desk" in response.json()["error"]["message"]
    detail = api_client.get(f"/api/v1/requests/{ids['req_b']}", headers=desk).json()
    assert detail["status"] == "offered" and detail["resident"]["address"] == "b Road 1"
    assert api_client.get(f"/api/v1/requests/{ids['req_a']}", headers=desk).status_code == 404
    # What it may do is logged as an unnamed coordinator, never as admin.
    filed = api_client.post(
        "/api/v1/requests",
        json={"resident_id": ids["res_b"], "text": "Please read my letter", "category": "reading"},
        headers=desk,
    )
    assert filed.status_code == 201, filed.text
    actors = {event["actor"] for event in filed.json()["events"]}
    assert "admin" not in actors and "coordinator" in actors
    # A named coordinator's key acts, and the log names them.
    named = api_client.post(f"/api/v1/requests/{ids['req_a']}/cancel",
                            headers=api_world.auth("coord_a"))
    assert named.status_code == 200
    assert named.json()["events"][-1]["actor"] == f"coordinator:{ids['coord_a']}"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_revocation_takes_effect_at_once_in_every_process(
    api_settings: Settings, db_url: str, sessions: Callable[[], Session], api_world: World
) -> None:
    """Two app instances with their own engines (two processes) on one database."""
    other_engine = make_engine(db_url)
    try:
        one = create_app(api_settings, sessions=sessions)
        two = create_app(api_settings, sessions=session_factory(other_engine))
        with TestClient(one) as first, TestClient(two) as second:
            tokens = []
            body = {"role": "coordinator", "area_ids": [api_world.ids["area_b"]]}
            for _ in range(2):
                created = first.post("/api/v1/keys", json=body, headers=api_world.auth("admin"))
                assert created.status_code == 201
                tokens.append((created.json()["id"], created.json()["key"]))
            for _, token in tokens:
                for client in (first, second):  # both processes now hold the key in their cache
                    response = client.get("/api/v1/queue", headers=_bearer(token))
                    assert response.status_code == 200
            # Revoked through the first app's API, then as `lightwing keys revoke` would.
            key_id, token = tokens[0]
            assert first.delete(f"/api/v1/keys/{key_id}",
                                headers=api_world.auth("admin")).status_code == 200
            with sessions() as session:
                apikeys.revoke_key(session, key_id=tokens[1][0])
            for _, token in tokens:
                for client in (second, first):
                    response = client.get("/api/v1/queue", headers=_bearer(token))
                    assert response.status_code == 401
            # Keys nobody revoked keep working from the cache.
            assert second.get("/api/v1/queue", headers=api_world.auth("coord_b")).status_code == 200
    finally:
        other_engine.dispose()
