"""Body size limits: JSON bodies up to max_body_bytes, uploads up to max_upload_bytes → 413."""

from __future__ import annotations

import json
from typing import Any

from api.ratelimit import Receive, Scope, Send, _header
from core import texts

BODYLESS = frozenset({"GET", "HEAD", "OPTIONS", "DELETE"})


def _has_body(scope: Scope) -> bool:
    """Whether the request announces a body (a length, or chunked transfer)."""
    for key, value in scope.get("headers", ()):
        if key == b"transfer-encoding" or (key == b"content-length" and value.strip() != b"0"):
            return True
    return False


class BodyTooLarge(Exception):
    """The body grew past its limit while it was being read."""

    def __init__(self, limit: int) -> None:
        super().__init__(limit)
        self.limit = limit


def body_limit(scope: Scope, *, max_body: int, max_upload: int) -> int:
    """The byte limit for this request: multipart uploads get the larger one."""
    content_type = (_header(scope, b"content-type") or "").lower()
    return max_upload if content_type.startswith("multipart/") else max_body


class BodyLimitMiddleware:
    """Refuse a too-large Content-Length at once; count streamed bytes for the rest."""

    def __init__(self, app: Any, *, max_body: int, max_upload: int) -> None:
        self.app = app
        self.max_body = max_body
        self.max_upload = max_upload

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope.get("method") in BODYLESS and not _has_body(scope):
            # Nothing to count (most calls are such GETs): no wrapped receive and send.
            await self.app(scope, receive, send)
            return
        limit = body_limit(scope, max_body=self.max_body, max_upload=self.max_upload)
        declared = _header(scope, b"content-length")
        if declared is not None and declared.strip().isdigit() and int(declared) > limit:
            await reject_too_large(scope, send, limit)
            return
        received = 0
        started = False

        async def counting_receive() -> dict[str, Any]:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def watching_send(message: dict[str, Any]) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, watching_send)
        except BodyTooLarge as exc:
            if started:
                raise
            await reject_too_large(scope, send, exc.limit)


async def reject_too_large(scope: Scope, send: Send, limit: int) -> None:
    """Send the 413 JSON error."""
    lang_header = _header(scope, b"accept-language") or ""
    lang = texts.normalise_lang(lang_header.split(",")[0].split(";")[0] or None)
    body = json.dumps(
        {"error": {"code": "too_large",
                   "message": texts.get("api.error.too_large", lang, limit=limit)}},
        ensure_ascii=False,
    ).encode()
    await send({
        "type": "http.response.start",
        "status": 413,
        "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ],
    })
    await send({"type": "http.response.body", "body": body})
