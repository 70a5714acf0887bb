"""Queue filters, sorting and keyset paging; stats figures."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from api.routes.queue import QueueQuery
from api.schemas import QueueItem, QueuePageOut
from core.models import Feedback, HelpRequest
from core.services import queue
from tests.api.conftest import World

STATUSES = ("offered", "unassigned", "accepted", "needs_clarification", "done")
CATEGORIES = ("reading", "escort", "repair")


@pytest.fixture
def crowded(api_world: World, sessions: Callable[[], Session]) -> World:
    """60 more requests over both districts: mixed statuses, categories, deadlines."""
    now = datetime.now(UTC)
    ids = api_world.ids
    with sessions() as session:
        for n in range(60):
            area = ids["area_a1"] if n % 2 else ids["area_b"]
            resident = ids["res_a"] if n % 2 else ids["res_b"]
            deadline = None if n % 7 == 0 else now + timedelta(minutes=(n % 11) * 10 - 40)
            created = now - timedelta(hours=2)
            status = STATUSES[n % len(STATUSES)]
            session.add(HelpRequest(
                resident_id=resident, area_id=area, text=f"request {n} " + "x" * 300,
                status=status, category=CATEGORIES[n % 3], urgency="normal",
                team_id=ids["team_a"] if n % 4 == 1 else None, deadline=deadline,
                created_at=created, first_offer_at=created + timedelta(minutes=n),
                accepted_at=created + timedelta(minutes=2 * n) if status in ("accepted", "done")
                else None,
            ))
        session.commit()
    return api_world


def _all_pages(client: TestClient, world: World, who: str, **params: Any) -> list[dict]:
    items: list[dict] = []
    cursor = None
    for _ in range(100):
        query = {**params, "limit": 7, **({"cursor": cursor} if cursor else {})}
        response = client.get("/api/v1/queue", params=query, headers=world.auth(who))
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["items"]) <= 7
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("paging never ended")


@pytest.mark.parametrize("sort", ["newest", "oldest", "deadline"])
def test_paging_sees_every_open_row_once_in_order(
    api_client: TestClient, crowded: World, sort: str
) -> None:
    items = _all_pages(api_client, crowded, "admin", sort=sort)
    ids = [i["id"] for i in items]
    assert len(ids) == len(set(ids))
    assert {i["status"] for i in items} <= {"offered", "unassigned", "accepted",
                                            "needs_clarification"}
    assert len(ids) == 2 + 48  # the two world requests and 4/5 of the crowd (done is closed)
    if sort == "newest":
        assert ids == sorted(ids, reverse=True)
    elif sort == "oldest":
        assert ids == sorted(ids)
    else:
        deadlines = [i["deadline"] for i in items]
        dated = [d for d in deadlines if d is not None]
        assert dated == sorted(dated)
        assert deadlines[len(dated):] == [None] * (len(deadlines) - len(dated))
    assert all(len(i["summary"]) <= 140 for i in items)


def test_filters(api_client: TestClient, crowded: World) -> None:
    ids = crowded.ids
    only_b = _all_pages(api_client, crowded, "coord_b")
    assert only_b and {i["area_id"] for i in only_b} == {ids["area_b"]}
    unassigned = _all_pages(api_client, crowded, "admin", status="unassigned,offered")
    assert {i["status"] for i in unassigned} == {"unassigned", "offered"}
    done = _all_pages(api_client, crowded, "admin", status="done")
    assert len(done) == 12 and {i["status"] for i in done} == {"done"}
    repair = _all_pages(api_client, crowded, "admin", category="repair")
    assert repair and {i["category"] for i in repair} == {"repair"}
    team = _all_pages(api_client, crowded, "admin", team=ids["team_a"])
    assert team and {i["team_id"] for i in team} == {ids["team_a"]}
    overdue = _all_pages(api_client, crowded, "admin", overdue="true")
    assert overdue and all(i["overdue"] for i in overdue)
    not_overdue = _all_pages(api_client, crowded, "admin", overdue="false")
    assert not any(i["overdue"] for i in not_overdue)
    assert len(overdue) + len(not_overdue) == 50
    street = _all_pages(api_client, crowded, "admin", area=ids["area_a"])  # and below
    assert street and {i["area_id"] for i in street} == {ids["area_a1"]}


def test_stats_figures(api_client: TestClient, crowded: World,
                       sessions: Callable[[], Session]) -> None:
    with sessions() as session:
        for rating in (3, 5):
            req = HelpRequest(resident_id=crowded.ids["res_a"], area_id=crowded.ids["area_a1"],
                              status="confirmed", category="reading")
            session.add(req)
            session.flush()
            session.add(Feedback(request_id=req.id or 0, rating=rating))
        session.commit()
    stats = api_client.get("/api/v1/stats", headers=crowded.auth("admin")).json()
    assert stats["open_total"] == 50
    assert sum(stats["open_by_status"].values()) == 50
    assert sum(stats["open_by_category"].values()) == 50
    assert stats["overdue"] == sum(stats["overdue_by_status"].values()) > 0
    accept = stats["time_to_accept"]
    assert accept["count"] == 24
    assert accept["median_s"] <= accept["p90_s"]
    first = stats["time_to_first_offer"]
    assert first["count"] == 62 and first["p90_s"] >= first["median_s"] >= 0
    assert stats["satisfaction"] == {"count": 2, "average": 4.0,
                                     "distribution": {"3": 1, "5": 1}}
    scoped = api_client.get("/api/v1/stats", headers=crowded.auth("coord_b")).json()
    assert scoped["open_total"] == len(_all_pages(api_client, crowded, "coord_b"))
    assert scoped["satisfaction"]["count"] == 0


@pytest.mark.parametrize("sort", ["newest", "oldest", "deadline"])
def test_database_written_page_equals_the_service_page(
    crowded: World, sessions: Callable[[], Session], sort: str
) -> None:
    """The API's page (JSON written by the database) is list_queue's page, on every page."""
    ids = crowded.ids
    now = datetime.now(UTC)
    with sessions() as session:
        asks = (
            (None, None),
            (frozenset({ids["area_b"]}), None),
            # An area asked for: expanded down the tree by each path in its own way.
            (None, queue.QueueFilters(area_id=ids["area_a"])),
        )
        for scope, filters in asks:
            cursor = None
            overdue = 0
            for _ in range(20):
                page = queue.list_queue(session, area_scope=scope, filters=filters, sort=sort,
                                        limit=6, cursor=cursor, now=now)
                body = queue.queue_page_json(session, area_scope=scope, filters=filters,
                                             sort=sort, limit=6, cursor=cursor, now=now)
                expected = {"items": page.items, "next_cursor": page.next_cursor,
                            "limit": page.limit, "sort": page.sort}
                assert json.loads(body) == expected
                # It is the documented response: every field, nothing more, values that parse.
                assert QueuePageOut.model_validate_json(body) == QueuePageOut(**expected)
                assert set(json.loads(body)["items"][0]) == set(QueueItem.model_fields)
                overdue += sum(item["overdue"] for item in page.items)
                cursor = page.next_cursor
                if cursor is None:
                    break
            assert cursor is None and overdue > 0


def test_queue_survives_its_kept_connection_failing(
    api_app: FastAPI, api_client: TestClient, api_world: World
) -> None:
    """The queue runs on kept connections; if one breaks, a fresh one takes over at once."""
    first = api_client.get("/api/v1/queue", headers=api_world.auth("coord_a"))
    assert first.status_code == 200
    if api_app.state.engine.dialect.name == "sqlite":
        kept = [api_app.state.loop_connection._connection]
    else:
        kept = list(api_app.state.thread_connections._kept)
    assert kept
    for connection in kept:
        connection.driver_connection.close()  # as when the database server restarts
    again = api_client.get("/api/v1/queue", headers=api_world.auth("coord_a"))
    assert again.status_code == 200 and again.json() == first.json()


def test_queue_route_is_documented_like_any_route(api_client: TestClient) -> None:
    """DirectRoute skips FastAPI's per-call work, not the OpenAPI entry."""
    operation = api_client.get("/openapi.json").json()["paths"]["/api/v1/queue"]["get"]
    assert operation["security"] == [{"HTTPBearer": []}]
    assert {p["name"] for p in operation["parameters"]} == set(QueueQuery.model_fields)
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema["$ref"].endswith("/QueuePageOut")
    assert {"401", "403", "422"} <= set(operation["responses"])


@pytest.mark.parametrize("query", ["limit=0", "sort=sideways", "status=lost", "overdue=maybe",
                                   "cursor=%21%21", "area=-1"])
def test_bad_queue_query_is_a_json_error(
    api_client: TestClient, api_world: World, query: str
) -> None:
    response = api_client.get(f"/api/v1/queue?{query}", headers=api_world.auth("admin"))
    assert 400 <= response.status_code < 500, response.text
    assert set(response.json()["error"]) == {"code", "message"}
