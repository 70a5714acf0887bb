"""The coordinator's queue: a filtered, keyset-paged list and a server-sent change stream."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response, StreamingResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy.engine import Dialect
from starlette.datastructures import QueryParams

from api.deps import BEARER_SECURITY, STAFF, Staff, authorize_on
from api.routes.common import ERRORS
from api.schemas import Id, QueuePageOut
from core.db import session_scope
from core.models import Category, Urgency
from core.services import queue
from core.services.apikeys import Principal

router = APIRouter(prefix="/api/v1/queue", tags=["queue"], responses=ERRORS)

POLL_S = 0.3
KEEPALIVE_S = 15.0


def _json_default(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def _dumps(data: Any) -> str:
    return json.dumps(data, default=_json_default, ensure_ascii=False, separators=(",", ":"))


def _scope(principal: Principal) -> frozenset[int] | None:
    return None if principal.is_admin else principal.area_scope


class QueueQuery(BaseModel):
    """The queue's filters, sort and page (one model: validated in one step, cheaply)."""

    status: list[str] = Field(
        default=[], description="Status ids, repeated or comma-separated; default: every open one"
    )
    area: Id | None = Field(default=None, description="An area and everything below it")
    category: Category | None = None
    urgency: Urgency | None = None
    team: Id | None = None
    overdue: bool | None = None
    sort: Literal["newest", "oldest", "deadline"] = "newest"
    limit: int = Field(default=50, ge=1, le=queue.MAX_LIMIT)
    cursor: str | None = Field(default=None, max_length=512, description="next_cursor of a page")


def _inline_refs(node: Any, defs: dict[str, Any]) -> Any:
    """A JSON schema with its local $refs replaced by what they point at."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            return _inline_refs(defs[ref.rsplit("/", 1)[-1]], defs)
        return {key: _inline_refs(value, defs) for key, value in node.items()}
    if isinstance(node, list):
        return [_inline_refs(value, defs) for value in node]
    return node


def query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    """The OpenAPI query parameters of a model's fields, made from the model that parses them."""
    schema = model.model_json_schema()
    defs = schema.get("$defs", {})
    required = set(schema.get("required", ()))
    out = []
    for name, prop in schema["properties"].items():
        param: dict[str, Any] = {"name": name, "in": "query", "required": name in required,
                                 "schema": _inline_refs(prop, defs)}
        if "description" in prop:
            param["description"] = prop["description"]
        out.append(param)
    return out


_LIST_FIELDS = frozenset(
    name for name, field in QueueQuery.model_fields.items() if field.annotation == list[str]
)


@dataclass(frozen=True)
class QueueAsk:
    """A parsed queue query string: what the service is asked for."""

    filters: queue.QueueFilters
    limit: int
    cursor: str | None
    sort: str


def parse_query(request: Request) -> QueueAsk:
    """The queue's query string, validated by QueueQuery (422 like any FastAPI parameter).

    Read here instead of through a FastAPI query-model parameter: on this hot path that costs
    several times the rest of the parsing. The OpenAPI parameters come from the same model.
    """
    return _parse(request.scope.get("query_string", b""))


@lru_cache(maxsize=1024)
def _parse(query_string: bytes) -> QueueAsk:
    # Dashboards ask the same few query strings over and over: each is parsed once. (Only the
    # string's meaning is remembered, never a page; a string that fails raises every time.)
    params = QueryParams(query_string)
    data = {
        name: params.getlist(name) if name in _LIST_FIELDS else params[name]
        for name in params.keys()
        if name in QueueQuery.model_fields
    }
    try:
        q = QueueQuery.model_validate(data)
    except ValidationError as exc:
        raise RequestValidationError(
            [{**error, "loc": ("query", *error["loc"])} for error in exc.errors()]
        ) from None
    filters = queue.QueueFilters(
        status=queue.parse_statuses(q.status),
        area_id=q.area,
        category=q.category.value if q.category else None,
        urgency=q.urgency.value if q.urgency else None,
        team_id=q.team,
        overdue=q.overdue,
    )
    return QueueAsk(filters=filters, limit=q.limit, cursor=q.cursor, sort=q.sort)


class DirectRoute(APIRoute):
    """A route FastAPI documents from its declaration but calls with the request alone.

    For the busiest route, whose endpoint takes only the request (it parses, authorises and
    answers itself): no dependency solving and no response validation per call. Errors raised
    in it reach the app's exception handlers as from any route.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """The endpoint itself."""
        return self.endpoint


async def list_queue(request: Request) -> Response:
    """Open requests of the caller's areas; follow `next_cursor` for the next page.

    The busiest route, so it is lean: no dependencies, the key checked by `authorize_on` on the
    route's DB-API connection, the query parsed by parse_query, the page written by the database
    (queue.page_json). On SQLite it runs on the event loop, on the app's LoopConnection (a page
    takes well under a millisecond, less than a thread hop); on PostgreSQL in one of the app's
    ThreadConnections, so that while it waits for the database server the loop serves other
    calls.
    """
    dialect = request.app.state.engine.dialect

    def serve(connection: Any) -> Response:
        return _serve(request, connection, dialect)

    if dialect.name == "postgresql":
        return await request.app.state.thread_connections.run(serve)
    return request.app.state.loop_connection.run(serve)


router.add_api_route(
    "",
    list_queue,
    methods=["GET"],
    response_model=QueuePageOut,
    openapi_extra={"parameters": query_parameters(QueueQuery), "security": BEARER_SECURITY},
    route_class_override=DirectRoute,
)


def _serve(request: Request, connection: Any, dialect: Dialect) -> Response:
    principal = authorize_on(request, connection, STAFF)
    ask = parse_query(request)
    body = queue.page_json(
        connection, dialect=dialect, filters=ask.filters, area_scope=_scope(principal),
        limit=ask.limit, cursor=ask.cursor, sort=ask.sort,
    )
    # QueuePageOut's shape, written by the database (tests/api check it against the schema and
    # against list_queue): the hot path builds no model and no dict per row.
    return Response(content=body, media_type="application/json")


@router.get(
    "/stream",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {"schema": {"type": "string"}}},
                     "description": "`event: change` with a ChangeEvent as JSON data"}},
)
async def stream_queue(
    request: Request,
    principal: Staff,
    after: Annotated[int | None, Query(ge=0, description="Start after this event id")] = None,
) -> StreamingResponse:
    """Server-sent events: every change to a visible request arrives within a second.

    Each event's `id` is the feed's position (the last event id, and ids below it that were not
    visible yet): a client that reconnects with Last-Event-ID misses nothing that committed late.
    """
    sessions = request.app.state.sessions
    scope = _scope(principal)
    resumed = queue.FeedCursor.from_token(
        request.headers.get("last-event-id", ""), now=time.monotonic()
    )
    if after is not None or resumed is None:
        cursor = await asyncio.to_thread(_start, sessions, after)
    else:
        cursor = resumed

    async def events() -> AsyncIterator[str]:
        last_sent = time.monotonic()
        yield f"retry: 1000\nevent: ready\ndata: {_dumps({'after': cursor.last_id})}\n\n"
        while not await request.is_disconnected():
            changes = await asyncio.to_thread(_poll, sessions, cursor, scope)
            for row, token in changes:
                yield f"id: {token}\nevent: change\ndata: {_dumps(row)}\n\n"
                last_sent = time.monotonic()
            if time.monotonic() - last_sent > KEEPALIVE_S:
                yield ": keepalive\n\n"
                last_sent = time.monotonic()
            await asyncio.sleep(POLL_S)

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


def _start(sessions: Any, after: int | None) -> queue.FeedCursor:
    with session_scope(sessions) as session:
        return queue.start_feed(session, after_id=after, now=time.monotonic())


def _poll(
    sessions: Any, cursor: queue.FeedCursor, scope: frozenset[int] | None
) -> list[tuple[dict[str, Any], str]]:
    with session_scope(sessions) as session:
        return queue.poll_feed(session, cursor, now=time.monotonic(), area_scope=scope)
