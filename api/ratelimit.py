"""Per-key and per-client-address rate limits: a sliding one-minute window in memory."""

from __future__ import annotations

import hashlib
import json
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from core import texts

Scope = dict[str, Any]
Receive = Callable[[], Any]
Send = Callable[[dict[str, Any]], Any]

WINDOW_S = 60.0
# Monitoring probes must keep working while a client is being throttled.
EXEMPT_PATHS: frozenset[str] = frozenset({"/healthz", "/metrics"})


class SlidingWindow:
    """At most `limit` hits per identity in any WINDOW_S seconds (one process)."""

    def __init__(self, limit: int, window_s: float = WINDOW_S) -> None:
        self.limit = limit
        self.window_s = window_s
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()
        self._last_sweep = time.monotonic()

    def hit(self, identity: str, now: float | None = None) -> float:
        """Record a hit; 0 when allowed, else the seconds until the next hit would be."""
        now = time.monotonic() if now is None else now
        with self._lock:
            self._sweep(now)
            hits = self._hits.setdefault(identity, deque())
            edge = now - self.window_s
            while hits and hits[0] <= edge:
                hits.popleft()
            if len(hits) >= self.limit:
                return max(hits[0] + self.window_s - now, 0.001)
            hits.append(now)
            return 0.0

    def _sweep(self, now: float) -> None:
        # Forget idle identities now and then so memory stays bounded.
        if now - self._last_sweep < self.window_s:
            return
        self._last_sweep = now
        edge = now - self.window_s
        for identity in [k for k, v in self._hits.items() if not v or v[-1] <= edge]:
            del self._hits[identity]


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None


@lru_cache(maxsize=4096)
def _key_identity(auth: str) -> str:
    # Hashed so the limiter's table holds no usable key; remembered, as clients repeat their key.
    return "key:" + hashlib.sha256(auth.encode()).hexdigest()[:24]


def identities(scope: Scope) -> list[str]:
    """The identities a request counts against: its key (hashed) and its client address."""
    out = []
    auth = _header(scope, b"authorization")
    if auth:
        out.append(_key_identity(auth))
    client = scope.get("client")
    out.append("addr:" + (client[0] if client else "unknown"))
    return out


class RateLimitMiddleware:
    """429 with Retry-After when a key or a client address exceeds its per-minute limit."""

    def __init__(self, app: Any, *, limit_per_minute: int) -> None:
        self.app = app
        self.window = SlidingWindow(max(1, limit_per_minute))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") in EXEMPT_PATHS:
            await self.app(scope, receive, send)
            return
        wait = 0.0
        for identity in identities(scope):
            wait = max(wait, self.window.hit(identity))
        if wait:
            await _reject(scope, send, math.ceil(wait))
            return
        await self.app(scope, receive, send)


async def _reject(scope: Scope, send: Send, seconds: int) -> None:
    lang_header = _header(scope, b"accept-language") or ""
    lang = texts.normalise_lang(lang_header.split(",")[0].split(";")[0] or None)
    body = json.dumps(
        {"error": {"code": "rate_limited",
                   "message": texts.get("api.error.rate_limited", lang, seconds=seconds)}},
        ensure_ascii=False,
    ).encode()
    await send({
        "type": "http.response.start",
        "status": 429,
        "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"retry-after", str(seconds).encode()),
        ],
    })
    await send({"type": "http.response.body", "body": body})
