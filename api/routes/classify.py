"""Classify a text without storing anything."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from sqlmodel import Session

from api.deps import AnyPrincipal, SessionDep
from api.routes.common import ERRORS
from api.schemas import ClassifyIn
from core.classifier import Classification, classify
from core.dispatch.intake import area_index

router = APIRouter(prefix="/api/v1", tags=["classify"], responses=ERRORS)


def _classify(session: Session, body: ClassifyIn) -> Classification:
    # The area index (built once per set of areas) lets the classifier recognise places.
    return classify(body.text, body.lang, areas=area_index(session))


@router.post("/classify", response_model=Classification)
async def classify_text(
    body: ClassifyIn, session: SessionDep, principal: AnyPrincipal
) -> Classification:
    """Category, urgency, confidence, alternatives and extracted time and place of a text."""
    return await run_in_threadpool(_classify, session, body)
