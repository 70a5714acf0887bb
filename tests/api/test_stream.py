"""The queue's server-sent events, read from a real uvicorn server."""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
from fastapi import FastAPI
from sqlmodel import Session

from core.models import Event
from tests.api.conftest import World
from tests.api.server import running


def _reader(
    url: str, headers: dict[str, str], out: queue.Queue[Any], stop: threading.Event
) -> None:
    """Push (arrival time, event name, data) for every SSE message until stopped."""
    with httpx.Client(timeout=httpx.Timeout(5.0, read=None)) as client:
        with client.stream("GET", url, headers=headers) as response:
            out.put(("status", response.status_code, response.headers.get("content-type")))
            name = None
            for line in response.iter_lines():
                if stop.is_set():
                    return
                if line.startswith("event: "):
                    name = line[7:]
                elif line.startswith("data: "):
                    out.put((time.monotonic(), name, json.loads(line[6:])))


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
