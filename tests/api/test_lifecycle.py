"""A request's life through the HTTP API: file, accept (first wins), complete, rate, ledger."""

from __future__ import annotations

import threading

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.api.conftest import World
from tests.api.server import running


def test_resident_files_a_request(api_client: TestClient, api_world: World) -> None:
    response = api_client.post(
        "/api/v1/requests",
        json={"resident_id": api_world.ids["res_a"], "text": "Please read a letter for me",
              "lang": "en", "category": "reading"},
        headers=api_world.auth("res_a"),
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["resident_id"] == api_world.ids["res_a"]
    assert body["category"] == "reading"
    assert body["area_id"] == api_world.ids["area_a1"]  # the resident's home area
    assert body["status"] in {"offered", "unassigned"}
    assert body["events"][0]["kind"] == "created"
    assert body["resident"]["address"] == "a Road 1"  # the resident sees their own details
    for offer in body["offers"]:
        assert set(offer) >= {"id", "volunteer_id", "state", "deadline"}


def test_request_without_confirm_waits(api_client: TestClient, api_world: World) -> None:
    response = api_client.post(
        "/api/v1/requests",
        json={"resident_id": api_world.ids["res_b"], "text": "Read my letter",
              "category": "reading", "confirm": False},
        headers=api_world.auth("coord_b"),
    )
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "classified"
    confirmed = api_client.post(
        f"/api/v1/requests/{response.json()['id']}/confirm", headers=api_world.auth("res_b")
    )
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["status"] in {"offered", "unassigned"}


def test_first_accept_wins_then_complete_rate_and_ledger(
    api_client: TestClient, api_world: World
) -> None:
    ids = api_world.ids
    first = api_client.post(
        f"/api/v1/offers/{ids['offer_vol_a']}/accept", json={"volunteer_id": ids["vol_a"]},
        headers=api_world.auth("vol_a"),
    )
    assert first.status_code == 200, first.text
    assert first.json()["status"] == "accepted"
    assert first.json()["volunteer_id"] == ids["vol_a"]
    # The accepting volunteer now sees where to go.
    assert first.json()["resident"]["address"] == "a Road 1"
    second = api_client.post(
        f"/api/v1/offers/{ids['offer_vol_a2']}/accept", json={"volunteer_id": ids["vol_a2"]},
        headers=api_world.auth("vol_a2"),
    )
    assert second.status_code == 409
    assert second.json()["error"]["code"] in {"request_already_taken", "offer_closed"}

    req = f"/api/v1/requests/{ids['req_a']}"
    wrong = api_client.post(f"{req}/complete", json={"hours": 2},
                            headers=api_world.auth("vol_a2"))
    assert wrong.status_code in (403, 404)
    done = api_client.post(f"{req}/complete", json={"hours": 2, "note": "Read two letters"},
                           headers=api_world.auth("vol_a"))
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "done"
    rated = api_client.post(f"{req}/feedback", json={"rating": 5, "comment": "Thanks"},
                            headers=api_world.auth("res_a"))
    assert rated.status_code == 200, rated.text
    assert rated.json()["status"] == "confirmed"
    again = api_client.post(f"{req}/feedback", json={"rating": 4},
                            headers=api_world.auth("res_a"))
    assert again.status_code == 409

    ledger = api_client.get(f"/api/v1/volunteers/{ids['vol_a']}/ledger",
                            headers=api_world.auth("vol_a"))
    assert ledger.status_code == 200, ledger.text
    assert ledger.json()["total_hours"] == 2.0
    assert len(ledger.json()["records"]) == 1
    verify = api_client.get("/api/v1/ledger/verify", headers=api_world.auth("coord_a"))
    assert verify.json() == {"ok": True, "count": 1, "problems": []}
    csv_a = api_client.get("/api/v1/ledger/export.csv", headers=api_world.auth("coord_a"))
    csv_b = api_client.get("/api/v1/ledger/export.csv", headers=api_world.auth("coord_b"))
    assert csv_a.status_code == 200 and csv_a.headers["content-type"].startswith("text/csv")
    assert len(csv_a.text.strip().splitlines()) == 2  # header + district A's one record
    assert len(csv_b.text.strip().splitlines()) == 1  # district B sees only the header

    stats = api_client.get("/api/v1/stats", headers=api_world.auth("admin")).json()
    assert stats["time_to_accept"]["count"] == 1
    assert stats["time_to_completion"]["count"] == 1
    assert stats["satisfaction"] == {"count": 1, "average": 5.0, "distribution": {"5": 1}}
    metrics = api_client.get("/metrics").text
    assert "lightwing_time_to_accept_seconds_count 1" in metrics


def test_cancel_and_reassign_by_coordinator(api_client: TestClient, api_world: World) -> None:
    ids = api_world.ids
    # coord_a is a named coordinator's key (coord_b, an area desk's, may not do this).
    req = f"/api/v1/requests/{ids['req_a']}"
    moved = api_client.post(f"{req}/reassign", json={"volunteer_id": ids["vol_a2"]},
                            headers=api_world.auth("coord_a"))
    assert moved.status_code == 200, moved.text
    assert moved.json()["status"] == "accepted" and moved.json()["volunteer_id"] == ids["vol_a2"]
    cancelled = api_client.post(f"{req}/cancel", json={"reason": "resident called"},
                                headers=api_world.auth("coord_a"))
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    actors = {e["actor"] for e in cancelled.json()["events"][-2:]}
    assert actors == {f"coordinator:{ids['coord_a']}"}
    twice = api_client.post(f"{req}/cancel", headers=api_world.auth("res_a"))
    assert twice.status_code == 409
    assert twice.json()["error"]["code"] == "illegal_transition"


def test_concurrent_accepts_exactly_one_wins(api_app: FastAPI, api_world: World) -> None:
    ids = api_world.ids
    barrier = threading.Barrier(2)
    codes: list[int] = []

    def accept(who: str) -> None:
        with httpx.Client(timeout=20) as client:
            barrier.wait()
            response = client.post(
                f"{base}/api/v1/offers/{ids[f'offer_{who}']}/accept",
                json={"volunteer_id": ids[who]}, headers=api_world.auth(who),
            )
            codes.append(response.status_code)

    with running(api_app) as base:
        threads = [threading.Thread(target=accept, args=(who,)) for who in ("vol_a", "vol_a2")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    assert sorted(codes) == [200, 409]
