"""Liveness with a database check, and the Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from sqlalchemy import text

from api import metrics
from api.deps import SessionDep
from api.errors import error_response, request_lang
from api.schemas import ErrorOut, HealthOut
from core.services import stats

router = APIRouter(tags=["health"])


@router.get(
    "/healthz",
    response_model=HealthOut,
    responses={503: {"model": ErrorOut, "description": "Database unreachable"}},
)
def healthz(request: Request, session: SessionDep) -> JSONResponse:
    """200 when the database answers; no key needed."""
    try:
        session.connection().execute(text("SELECT 1"))
    except Exception:  # any database failure means "not healthy", never a stack trace
        return error_response(503, "unavailable", "api.error.unavailable", request_lang(request))
    return JSONResponse({"status": "ok", "database": "ok"})


@router.get(
    "/metrics",
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
)
def prometheus(request: Request, session: SessionDep) -> PlainTextResponse:
    """Prometheus text format: requests by status, offers, time to accept, queue depth."""
    snapshot = stats.metrics_snapshot(session)
    body = metrics.render(snapshot, request.app.state.http_counter.snapshot())
    return PlainTextResponse(body, media_type="text/plain; version=0.0.4; charset=utf-8")
