"""Prometheus text exposition: HTTP responses counted in-process, domain figures from the DB."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

from api.ratelimit import Receive, Scope, Send
from core.services.stats import MetricsSnapshot


class HttpCounter:
    """Responses by method and status class, counted in this process."""

    def __init__(self) -> None:
        self._counts: Counter[tuple[str, str]] = Counter()
        self._lock = threading.Lock()

    def add(self, method: str, status: int) -> None:
        """Count one response."""
        with self._lock:
            self._counts[(method, str(status))] += 1

    def snapshot(self) -> dict[tuple[str, str], int]:
        """A copy of the counts."""
        with self._lock:
            return dict(self._counts)


class MetricsMiddleware:
    """Counts every HTTP response by method and status."""

    def __init__(self, app: Any, *, counter: HttpCounter) -> None:
        self.app = app
        self.counter = counter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope.get("method", "GET")

        async def counting_send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                self.counter.add(method, int(message["status"]))
            await send(message)

        await self.app(scope, receive, counting_send)


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def render(snapshot: MetricsSnapshot, http: dict[tuple[str, str], int]) -> str:
    """The Prometheus text format (version 0.0.4) of the figures."""
    lines: list[str] = []

    def family(name: str, kind: str, help_text: str) -> None:
        lines.append(f"# HELP {name} {help_text}")
        lines.append(f"# TYPE {name} {kind}")

    family("lightwing_requests", "gauge", "Help requests by lifecycle status.")
    for status, n in sorted(snapshot.requests_by_status.items()):
        lines.append(f'lightwing_requests{{status="{_label(status)}"}} {n}')
    family("lightwing_offers", "gauge", "Offers by state.")
    for state, n in sorted(snapshot.offers_by_state.items()):
        lines.append(f'lightwing_offers{{state="{_label(state)}"}} {n}')
    family("lightwing_queue_depth", "gauge", "Open help requests.")
    lines.append(f"lightwing_queue_depth {snapshot.queue_depth}")
    family("lightwing_overdue_requests", "gauge", "Open requests past their deadline.")
    lines.append(f"lightwing_overdue_requests {snapshot.overdue}")
    family("lightwing_time_to_accept_seconds", "histogram",
           "Seconds from a request being made to a volunteer accepting it.")
    for bound, n in snapshot.accept_buckets:
        lines.append(f'lightwing_time_to_accept_seconds_bucket{{le="{_fmt(bound)}"}} {n}')
    lines.append(f'lightwing_time_to_accept_seconds_bucket{{le="+Inf"}} {snapshot.accept_count}')
    lines.append(f"lightwing_time_to_accept_seconds_sum {_fmt(snapshot.accept_sum_s)}")
    lines.append(f"lightwing_time_to_accept_seconds_count {snapshot.accept_count}")
    family("lightwing_http_responses_total", "counter",
           "HTTP responses of this process by method and status code.")
    for (method, status), n in sorted(http.items()):
        lines.append(
            f'lightwing_http_responses_total{{method="{_label(method)}",code="{status}"}} {n}'
        )
    return "\n".join(lines) + "\n"
