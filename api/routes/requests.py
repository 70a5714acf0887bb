"""Help requests: file one (text or voice note), read, cancel, complete, rate, reassign."""

from __future__ import annotations

import logging
import shutil
import uuid
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from sqlmodel import Session
from starlette.datastructures import FormData, UploadFile

from api.deps import AnyPrincipal, SessionDep, SettingsDep, Staff
from api.errors import area_desk, forbidden, not_found
from api.render import request_out
from api.routes.common import ERRORS, PathId
from api.schemas import (
    CancelIn,
    CompleteIn,
    ConfirmIn,
    FeedbackIn,
    ReassignIn,
    RequestIn,
    RequestOut,
    RequestUploadIn,
)
from core import dispatch
from core.models import Category, Role
from core.services import crud_requests
from core.services.apikeys import Principal
from core.services.crud_requests import RequestView
from core.settings import Settings

log = logging.getLogger("lightwing.api")
router = APIRouter(prefix="/api/v1/requests", tags=["requests"], responses=ERRORS)

AUDIO_SUFFIXES = frozenset({".ogg", ".oga", ".opus", ".mp3", ".wav", ".m4a", ".webm", ".amr"})
_UPLOAD_SCHEMA = {
    "type": "object",
    "required": ["resident_id", "audio"],
    "properties": {
        "resident_id": {"type": "integer", "minimum": 1, "maximum": 2_147_483_647},
        "text": {"type": "string", "maxLength": 10_000},
        "lang": {"type": "string", "enum": ["zh", "en"]},
        "area_id": {"type": "integer", "minimum": 1, "maximum": 2_147_483_647},
        "category": {"type": "string", "enum": [c.value for c in Category]},
        "confirm": {"type": "boolean", "default": True},
        "audio": {"type": "string", "format": "binary"},
    },
}
CREATE_BODY: dict[str, Any] = {
    "required": True,
    "content": {
        "application/json": {
            "schema": RequestIn.model_json_schema(),
            "example": {"resident_id": 12, "text": "Please read a letter for me", "lang": "en"},
        },
        "multipart/form-data": {"schema": _UPLOAD_SCHEMA},
    },
}


def visible_request(session: Session, principal: Principal, request_id: int) -> RequestView:
    """The request when the caller may see it; 404 otherwise (no hint it exists)."""
    view = crud_requests.load_request(session, request_id=request_id)
    if not crud_requests.can_see(principal, view):
        raise not_found()
    return view


def _validation(exc: ValidationError) -> RequestValidationError:
    errors = [{"loc": ("body", *e["loc"]), "msg": e["msg"], "type": e["type"]}
              for e in exc.errors()]
    return RequestValidationError(errors)


async def _parse(request: Request, form: FormData | None) -> tuple[Any, UploadFile | None]:
    if form is not None:
        audio = form.get("audio")
        fields = {k: v for k, v in form.items() if k != "audio" and isinstance(v, str)}
        fields = {k: v for k, v in fields.items() if v != "" or k == "text"}
        try:
            upload = RequestUploadIn.model_validate({**fields, "audio": b""})
        except ValidationError as exc:
            raise _validation(exc) from exc
        if not isinstance(audio, UploadFile):
            raise RequestValidationError(
                [{"loc": ("body", "audio"), "msg": "audio file required", "type": "missing"}]
            )
        return upload, audio
    try:
        return RequestIn.model_validate_json(await request.body()), None
    except ValidationError as exc:
        raise _validation(exc) from exc


def _store_audio(settings: Settings, audio: UploadFile) -> Path:
    """Keep the voice note under media_dir before anything else happens to it."""
    suffix = Path(audio.filename or "").suffix.lower()
    folder = settings.media_dir / "audio"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{uuid.uuid4().hex}{suffix if suffix in AUDIO_SUFFIXES else '.bin'}"
    audio.file.seek(0)
    with path.open("wb") as out:
        shutil.copyfileobj(audio.file, out, 1 << 16)
    return path


def _transcribe(settings: Settings, path: Path, lang: str | None) -> tuple[str | None, str | None]:
    """(text, lang) of the voice note, or (None, None): the request is kept without it."""
    try:
        from accessibility import stt

        heard = stt.transcribe(path, settings, lang=lang)
    except Exception as exc:  # unreadable audio, no model, nothing heard: keep the audio anyway
        log.info("transcription of %s failed: %s", path.name, exc)
        return None, None
    return heard.text, heard.lang


def _create(
    session: Session,
    settings: Settings,
    principal: Principal,
    body: RequestIn | RequestUploadIn,
    audio: UploadFile | None,
) -> RequestOut:
    allowed = crud_requests.can_create_for(
        session, principal, resident_id=body.resident_id, area_id=body.area_id
    )
    if not allowed:
        raise forbidden()
    audio_path = transcript = None
    lang = body.lang
    if audio is not None:
        stored = _store_audio(settings, audio)
        audio_path = str(stored)
        transcript, heard_lang = _transcribe(settings, stored, body.lang)
        lang = lang or heard_lang
    req = dispatch.create_request(
        session, settings=settings, resident_id=body.resident_id, text=body.text, lang=lang,
        channel="api", area_id=body.area_id, audio_path=audio_path, transcript=transcript,
        category=body.category.value if body.category else None,
        # An API client has no read-back step: an understood request is routed straight away.
        confirmed_by=principal.actor if body.confirm else None,
    )
    view = crud_requests.load_request(session, request_id=req.id or 0)
    return request_out(view, principal)


@router.post(
    "", response_model=RequestOut, status_code=201, openapi_extra={"requestBody": CREATE_BODY}
)
async def create_request(
    request: Request, session: SessionDep, settings: SettingsDep, principal: AnyPrincipal
) -> RequestOut:
    """File a request: JSON with text, or multipart/form-data with an `audio` voice note."""
    form = None
    if request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
        form = await request.form(max_files=1, max_fields=10)
    try:
        body, audio = await _parse(request, form)
        return await run_in_threadpool(_create, session, settings, principal, body, audio)
    finally:
        if form is not None:
            await form.close()


@router.get("/{request_id}", response_model=RequestOut)
def get_request(request_id: PathId, session: SessionDep, principal: AnyPrincipal) -> RequestOut:
    """The request with its classification, status, offers and events."""
    return request_out(visible_request(session, principal, request_id), principal)


@router.post("/{request_id}/confirm", response_model=RequestOut)
def confirm_request(
    request_id: PathId,
    session: SessionDep,
    settings: SettingsDep,
    principal: AnyPrincipal,
    body: ConfirmIn | None = None,
) -> RequestOut:
    """Confirm the read-back (optionally correcting the category): the request is offered."""
    visible_request(session, principal, request_id)
    if principal.role == Role.volunteer:
        raise forbidden()
    category = body.category.value if body and body.category else None
    dispatch.confirm_request(
        session, settings=settings, request_id=request_id, actor=principal.actor,
        category=category,
    )
    return request_out(crud_requests.load_request(session, request_id=request_id), principal)


@router.post("/{request_id}/cancel", response_model=RequestOut)
def cancel_request(
    request_id: PathId,
    session: SessionDep,
    settings: SettingsDep,
    principal: AnyPrincipal,
    body: CancelIn | None = None,
) -> RequestOut:
    """Cancel an open request: the resident, or staff of the area."""
    view = visible_request(session, principal, request_id)
    if principal.role == Role.volunteer:
        raise forbidden()
    if principal.is_area_desk:
        raise area_desk()
    dispatch.cancel_request(
        session, settings=settings, request_id=request_id, actor=principal.actor,
        reason=body.reason if body else None,
    )
    return request_out(crud_requests.load_request(session, request_id=view.request.id or 0),
                       principal)


@router.post("/{request_id}/complete", response_model=RequestOut)
def complete_request(
    request_id: PathId,
    body: CompleteIn,
    session: SessionDep,
    settings: SettingsDep,
    principal: AnyPrincipal,
) -> RequestOut:
    """The volunteer reports the work done and the hours (staff may report on their behalf)."""
    view = visible_request(session, principal, request_id)
    if principal.role == Role.volunteer:
        volunteer_id = principal.subject_id
    elif crud_requests.can_manage(principal, view):
        volunteer_id = body.volunteer_id or view.request.volunteer_id
    else:
        raise forbidden()
    if volunteer_id is None:
        raise forbidden()
    dispatch.complete_request(
        session, settings=settings, request_id=request_id, volunteer_id=volunteer_id,
        hours=body.hours, note=body.note,
    )
    return request_out(crud_requests.load_request(session, request_id=request_id), principal)


@router.post("/{request_id}/feedback", response_model=RequestOut)
def give_feedback(
    request_id: PathId,
    body: FeedbackIn,
    session: SessionDep,
    settings: SettingsDep,
    principal: AnyPrincipal,
) -> RequestOut:
    """The resident rates the service (1–5); staff may record a rating given by phone."""
    view = visible_request(session, principal, request_id)
    if principal.role == Role.volunteer:
        raise forbidden()
    dispatch.give_feedback(
        session, settings=settings, request_id=request_id, resident_id=view.request.resident_id,
        rating=body.rating, comment=body.comment, hours_confirmed=body.hours_confirmed,
    )
    return request_out(crud_requests.load_request(session, request_id=request_id), principal)


@router.post("/{request_id}/reassign", response_model=RequestOut)
def reassign_request(
    request_id: PathId,
    body: ReassignIn,
    session: SessionDep,
    settings: SettingsDep,
    principal: Staff,
) -> RequestOut:
    """Hand the request to another team or volunteer (or back to routing when both are empty)."""
    visible_request(session, principal, request_id)
    if principal.is_area_desk:
        raise area_desk()
    dispatch.reassign_request(
        session, settings=settings, request_id=request_id, actor=principal.actor,
        team_id=body.team_id, volunteer_id=body.volunteer_id,
    )
    return request_out(crud_requests.load_request(session, request_id=request_id), principal)
