"""The queue's server-sent events, read from a real uvicorn server."""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import insert
from sqlmodel import Session

from core.db import make_engine
from core.models import Event
from core.services import queue as feed
from tests.api.conftest import World
from tests.api.server import running


def _reader(
    url: str, headers: dict[str, str], out: queue.Queue[Any], stop: threading.Event
) -> None:
    """Push (arrival time, event name, data) for every SSE message until stopped."""
    try:
        _read(url, headers, out, stop)
    except httpx.HTTPError:
        if not stop.is_set():  # the server went away before the test was done: say so, quietly
            out.put(("gone", None, None))


def _read(
    url: str, headers: dict[str, str], out: queue.Queue[Any], stop: threading.Event
) -> None:
    with httpx.Client(timeout=httpx.Timeout(5.0, read=None)) as client:
        with client.stream("GET", url, headers=headers) as response:
            out.put(("status", response.status_code, response.headers.get("content-type")))
            name = None
            event_id = None
            for line in response.iter_lines():
                if stop.is_set():
                    return
                if line.startswith("id: "):
                    event_id = line[4:]
                elif line.startswith("event: "):
                    name = line[7:]
                elif line.startswith("data: "):
                    data = json.loads(line[6:])
                    if isinstance(data, dict) and event_id is not None:
                        data["_sse_id"] = event_id
                    out.put((time.monotonic(), name, data))


def _next(out: queue.Queue[Any], name: str, timeout: float) -> tuple[float, dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        assert left > 0, f"no {name} event in time"
        item = out.get(timeout=left)
        if item[1] == name:
            return item[0], item[2]


def _add_event(sessions: Callable[[], Session], request_id: int) -> float:
    with sessions() as session:
        session.add(Event(request_id=request_id, kind="note", actor="system"))
        session.commit()
    return time.monotonic()


def test_stream_delivers_a_change_within_a_second_and_only_in_scope(
    api_app: FastAPI, api_world: World, sessions: Callable[[], Session]
) -> None:
    ids = api_world.ids
    with running(api_app) as base:
        stop = threading.Event()
        streams: dict[str, queue.Queue[Any]] = {}
        threads = []
        for who in ("coord_a", "coord_b"):
            streams[who] = queue.Queue()
            thread = threading.Thread(
                target=_reader,
                args=(f"{base}/api/v1/queue/stream", api_world.auth(who), streams[who], stop),
                daemon=True,
            )
            thread.start()
            threads.append(thread)
        for who in streams:
            kind, status, content_type = streams[who].get(timeout=5)
            assert status == 200 and content_type.startswith("text/event-stream")
            _next(streams[who], "ready", 5)

        sent = _add_event(sessions, ids["req_a"])
        arrived, change = _next(streams["coord_a"], "change", 1.5)
        assert change["request_id"] == ids["req_a"] and change["kind"] == "note"
        assert arrived - sent < 1.0

        # District B's coordinator never hears of district A: its next change is its own.
        _add_event(sessions, ids["req_b"])
        _, change_b = _next(streams["coord_b"], "change", 1.5)
        assert change_b["request_id"] == ids["req_b"]
        stop.set()
        _add_event(sessions, ids["req_a"])
        _add_event(sessions, ids["req_b"])
        for thread in threads:
            thread.join(timeout=3)


def _insert_event(sessions: Callable[[], Session], request_id: int, event_id: int) -> None:
    """An event with a chosen id: what a transaction that took its id earlier commits later."""
    with sessions() as session:
        session.add(Event(id=event_id, request_id=request_id, kind="note", actor="system"))
        session.commit()


def test_feed_delivers_an_event_that_commits_after_a_larger_id(
    api_world: World, sessions: Callable[[], Session]
) -> None:
    ids = api_world.ids
    with sessions() as session:
        cursor = feed.start_feed(session, now=0.0)
    top = cursor.last_id
    # id top+1 is taken by a transaction still running; top+2 commits first.
    _insert_event(sessions, ids["req_a"], top + 2)
    with sessions() as session:
        first = feed.poll_feed(session, cursor, now=1.0)
    assert [row["id"] for row, _ in first] == [top + 2]
    token = first[0][1]
    assert token == f"{top + 2}:{top + 1}" and cursor.gaps == {top + 1: 1.0}
    # A client that reconnects with that Last-Event-ID waits for the same id.
    resumed = feed.FeedCursor.from_token(token, now=2.0)
    assert resumed is not None and resumed.gaps == {top + 1: 2.0}
    _insert_event(sessions, ids["req_a"], top + 1)
    for live in (cursor, resumed):
        with sessions() as session:
            late = feed.poll_feed(session, live, now=3.0)
        assert [row["id"] for row, _ in late] == [top + 1]
        assert late[0][1] == str(top + 2) and live.gaps == {}
    # Out of a coordinator's areas: the cursor moves on, nothing is delivered.
    scope = frozenset({ids["area_b"]})
    with sessions() as session:
        scoped = feed.start_feed(session, now=4.0)
    _insert_event(sessions, ids["req_a"], top + 4)
    _insert_event(sessions, ids["req_b"], top + 5)
    with sessions() as session:
        seen = feed.poll_feed(session, scoped, now=5.0, area_scope=scope)
    assert [row["id"] for row, _ in seen] == [top + 5] and scoped.gaps == {top + 3: 5.0}
    # A gap nobody fills (a rolled-back insert) is forgotten after GAP_WAIT_S.
    with sessions() as session:
        assert feed.poll_feed(session, scoped, now=5.0 + feed.GAP_WAIT_S + 1) == []
    assert scoped.gaps == {}


@pytest.mark.postgres
def test_stream_delivers_a_smaller_id_committed_later(
    api_app: FastAPI, api_world: World, sessions: Callable[[], Session], db_url: str
) -> None:
    """Two real transactions on PostgreSQL: the one with the smaller id commits last."""
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite runs one writer at a time: ids always commit in order")
    ids = api_world.ids
    engine = make_engine(db_url)
    try:
        with running(api_app) as base:
            stop = threading.Event()
            out: queue.Queue[Any] = queue.Queue()
            reader = threading.Thread(
                target=_reader,
                args=(f"{base}/api/v1/queue/stream", api_world.auth("coord_a"), out, stop),
                daemon=True,
            )
            reader.start()
            assert out.get(timeout=5)[1] == 200
            _next(out, "ready", 5)
            with engine.connect() as slow:
                slow_id = slow.execute(
                    insert(Event).values(request_id=ids["req_a"], kind="slow", actor="system",
                                         at=datetime.now(UTC), data={})
                    .returning(Event.id)
                ).scalar_one()
                _add_event(sessions, ids["req_a"])  # takes slow_id + 1 and commits first
                _, fast = _next(out, "change", 2.0)
                assert fast["id"] == slow_id + 1 and fast["_sse_id"] == f"{slow_id + 1}:{slow_id}"
                slow.commit()
                committed = time.monotonic()
            arrived, late = _next(out, "change", 2.0)
            assert late["id"] == slow_id and late["kind"] == "slow"
            assert arrived - committed < 1.0
            stop.set()
            _add_event(sessions, ids["req_a"])
            reader.join(timeout=3)
    finally:
        engine.dispose()
