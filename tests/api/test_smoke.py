"""Health, metrics and the basic error shape."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import World


def test_healthz_needs_no_key(api_client: TestClient) -> None:
    response = api_client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_metrics_prometheus_text(api_client: TestClient, api_world: World) -> None:
    api_client.get("/api/v1/queue", headers=api_world.auth("admin"))
    response = api_client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    body = response.text
    assert 'lightwing_requests{status="offered"} 2' in body
    assert 'lightwing_offers{state="pending"} 3' in body
    assert "lightwing_queue_depth 2" in body
    assert '# TYPE lightwing_time_to_accept_seconds histogram' in body
    assert 'lightwing_time_to_accept_seconds_bucket{le="+Inf"} 0' in body
    assert 'lightwing_http_responses_total{method="GET",code="200"}' in body


def test_classify_has_no_side_effects(api_client: TestClient, api_world: World) -> None:
    response = api_client.post(
        "/api/v1/classify", json={"text": "明天上午需要人陪我去医院看眼科", "lang": "zh"},
        headers=api_world.auth("vol_a"),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["category"] == "escort"
    assert 0 <= body["confidence"] <= 1
    assert body["time"] is not None and body["lang"] == "zh"
    queue = api_client.get("/api/v1/queue", headers=api_world.auth("admin")).json()
    assert len(queue["items"]) == 2  # nothing was stored
    empty = api_client.post("/api/v1/classify", json={"text": ""},
                            headers=api_world.auth("vol_a"))
    assert empty.status_code == 422


def test_crud_round_trip(api_client: TestClient, api_world: World) -> None:
    ids, admin, coord = api_world.ids, api_world.auth("admin"), api_world.auth("coord_a")
    area = api_client.post("/api/v1/areas", json={
        "code": "comm-a1x", "level": "community", "name_zh": "新社区", "name_en": "New",
        "parent_id": ids["area_a1"]}, headers=admin)
    assert area.status_code == 201, area.text
    area_id = area.json()["id"]
    assert area.json()["path"].endswith(f"/{ids['area_a1']}/{area_id}/")
    resident = api_client.post("/api/v1/residents", json={
        "name": "Ms Lin", "lang": "zh", "area_id": area_id, "address": "1 Lane",
        "disability_types": ["hearing"], "consent": True}, headers=coord)
    assert resident.status_code == 201, resident.text
    rid = resident.json()["id"]
    assert resident.json()["consent_at"]
    changed = api_client.patch(f"/api/v1/residents/{rid}", json={"mode": "large_text"},
                               headers=coord)
    assert changed.status_code == 200 and changed.json()["mode"] == "large_text"
    dup = api_client.post("/api/v1/areas", json={
        "code": "comm-a1x", "level": "community", "name_zh": "x", "name_en": "x",
        "parent_id": ids["area_a1"]}, headers=admin)
    assert dup.status_code == 409
    in_use = api_client.delete(f"/api/v1/areas/{area_id}", headers=admin)
    assert in_use.status_code == 409 and in_use.json()["error"]["code"] == "in_use"
    gone = api_client.delete(f"/api/v1/residents/{rid}", headers=coord)
    assert gone.json() == {"id": rid, "deleted": True}
    assert api_client.delete(f"/api/v1/areas/{area_id}", headers=admin).status_code == 200

    volunteer = api_client.post("/api/v1/volunteers", json={
        "name": "Mr Wu", "home_area_id": ids["area_a1"], "skills": [], "phone": "13700000000"},
        headers=coord)
    assert volunteer.status_code == 201, volunteer.text
    vid = volunteer.json()["id"]
    listed = api_client.get("/api/v1/volunteers", headers=coord).json()
    assert vid in {v["id"] for v in listed} and all("phone" not in v for v in listed)
    duty = api_client.patch(f"/api/v1/volunteers/{vid}", json={"on_duty": True}, headers=coord)
    assert duty.status_code == 200 and duty.json()["on_duty"] is True
    assert api_client.delete(f"/api/v1/volunteers/{vid}", headers=coord).status_code == 200
    has_offers = api_client.delete(f"/api/v1/volunteers/{ids['vol_a']}", headers=coord)
    assert has_offers.status_code == 409

    team = api_client.post("/api/v1/teams", json={
        "code": "a1-team", "name_zh": "街道队", "name_en": "Street team",
        "area_id": ids["area_a1"], "level": "street", "parent_id": ids["team_a"]},
        headers=coord)
    assert team.status_code == 201, team.text
    tid = team.json()["id"]
    assert api_client.patch(f"/api/v1/teams/{tid}", json={"capacity": 4},
                            headers=coord).json()["capacity"] == 4
    assert api_client.delete(f"/api/v1/teams/{ids['team_a']}", headers=coord).status_code == 409
    assert api_client.delete(f"/api/v1/teams/{tid}", headers=coord).status_code == 200
