"""Routes of the resident web chat (/, /chat/…) and the coordinator dashboard (/dashboard).

Thin: parse the request, call core.dialog (through api.web.chat), render JSON or HTML.
The dashboard page itself holds no data: its script calls the JSON API with the coordinator's key.
"""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field
from sqlmodel import Session

from api.web import chat, history, pages, voice
from api.web.deps import web_sessions, web_settings
from core import texts
from core.db import session_scope
from core.dialog import Incoming
from core.settings import Settings

router = APIRouter(include_in_schema=False)

SESSION_COOKIE = "lw_chat"
LANG_COOKIE = "lw_lang"
_SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{22,64}$")
YEAR = 365 * 24 * 3600
MAX_TEXT = 10_000  # HelpRequest.text holds this much

SettingsDep = Annotated[Settings, Depends(web_settings)]
SessionsDep = Annotated[Callable[[], Session], Depends(web_sessions)]


class ChatText(BaseModel):
    """A typed message."""

    text: str = Field(default="", max_length=MAX_TEXT)


class ChatButton(BaseModel):
    """A pressed reply button: the data it carries."""

    data: str = Field(min_length=1, max_length=200)


def _lang(request: Request, settings: Settings) -> str:
    """The page language: ?lang=, else the remembered choice, else the browser's, else default."""
    asked = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    if asked and texts.normalise_lang(asked) == asked.strip().lower()[:2]:
        return texts.normalise_lang(asked)
    header = request.headers.get("accept-language", "")
    for part in header.split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in texts.LANGS:
            return code
    return texts.normalise_lang(settings.default_lang)


def _session_id(request: Request) -> tuple[str, bool]:
    """The browser's chat session id, and whether it is new (then a cookie must be set)."""
    value = request.cookies.get(SESSION_COOKIE, "")
    if _SESSION_ID.match(value):
        return value, False
    return secrets.token_urlsafe(24), True


def _remember(response: Response, request: Request, session_id: str, lang: str) -> None:
    secure = request.url.scheme == "https"
    response.set_cookie(
        SESSION_COOKIE, session_id, max_age=YEAR, httponly=True, samesite="lax", secure=secure
    )
    response.set_cookie(LANG_COOKIE, lang, max_age=YEAR, httponly=True, samesite="lax",
                        secure=secure)


def _public(message: dict[str, Any], spoken: bool) -> dict[str, Any]:
    """A stored message as the page needs it (with the URL of its spoken form, if wanted)."""
    out = {k: message.get(k) for k in ("id", "from", "text", "lang", "buttons", "answered")}
    out["buttons"] = out["buttons"] or []
    speakable = message.get("from") == "bot" and message.get("speak") and message.get("text")
    out["audio"] = f"/chat/audio/{message['id']}.ogg" if spoken and speakable else None
    return out


def _shown(sessions: Callable[[], Session], session_id: str,
           messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Messages for the page; players for spoken replies only when this resident wants them."""
    if not messages:
        return []
    spoken = voice.tts_available() and chat.wants_voice(sessions, session_id=session_id)
    return [_public(m, spoken) for m in messages]


def _json(request: Request, session_id: str, new: bool, lang: str, body: Any,
          status: int = 200) -> JSONResponse:
    response = JSONResponse(body, status_code=status, headers={"Cache-Control": "no-store"})
    if new:
        _remember(response, request, session_id, lang)
    return response


def _error(request: Request, session_id: str, new: bool, lang: str, key: str,
           status: int, **values: Any) -> JSONResponse:
    message = texts.get(key, lang, **values)
    body = {"error": {"code": key.rsplit(".", 1)[-1], "message": message}}
    return _json(request, session_id, new, lang, body, status)


def _page(request: Request, settings: Settings, template: str, page: str,
          **context: Any) -> HTMLResponse:
    lang = _lang(request, settings)
    html = pages.render(template, lang=lang, settings=settings, page=page, **context)
    headers = {"Content-Security-Policy": pages.CSP, "Cache-Control": "no-store",
               "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"}
    return HTMLResponse(html, headers=headers)


@router.get("/", response_class=HTMLResponse)
def chat_page(request: Request, settings: SettingsDep, sessions: SessionsDep) -> HTMLResponse:
    """The resident's chat, with everything said so far in this browser."""
    session_id, new = _session_id(request)
    with session_scope(sessions) as session:
        stored = history.load(session, session_id)
    shown = _shown(sessions, session_id, stored)
    mode = None if new else chat.profile_mode(sessions, session_id=session_id)
    response = _page(request, settings, "chat.html", "chat", messages=shown,
                     easy=mode == "easy_read", large=mode == "large_text")
    _remember(response, request, session_id, _lang(request, settings))
    return response


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard_page(request: Request, settings: SettingsDep) -> HTMLResponse:
    """The coordinator dashboard (its data comes from the JSON API with the coordinator's key)."""
    response = _page(request, settings, "dashboard.html", "dashboard")
    lang = _lang(request, settings)
    response.set_cookie(LANG_COOKIE, lang, max_age=YEAR, httponly=True, samesite="lax")
    return response


@router.get("/web/static/{name}")
def static(name: str) -> Response:
    """A stylesheet or script of the pages, from the package folder."""
    path = pages.static_file(name)
    if path is None:
        return Response(status_code=404)
    return FileResponse(
        path,
        media_type=pages.STATIC_TYPES[path.suffix],
        headers={"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"},
    )


@router.get("/chat/history")
def chat_history(request: Request, settings: SettingsDep, sessions: SessionsDep) -> JSONResponse:
    """Every message shown in this browser session."""
    session_id, new = _session_id(request)
    lang = _lang(request, settings)
    with session_scope(sessions) as session:
        stored = history.load(session, session_id)
    body = {"messages": _shown(sessions, session_id, stored), "lang": lang}
    return _json(request, session_id, new, lang, body)


@router.post("/chat/start")
def chat_start(request: Request, settings: SettingsDep, sessions: SessionsDep) -> JSONResponse:
    """Begin (or resume) the conversation: the greeting."""
    session_id, new = _session_id(request)
    lang = _lang(request, settings)
    shown = chat.converse(sessions, settings=settings, session_id=session_id, lang=lang,
                          incoming=Incoming(kind="start"), shown=None)
    return _json(request, session_id, new, lang, {"messages": _shown(sessions, session_id, shown)})


@router.post("/chat/message")
def chat_message(request: Request, body: ChatText, settings: SettingsDep,
                 sessions: SessionsDep) -> JSONResponse:
    """A typed message."""
    session_id, new = _session_id(request)
    lang = _lang(request, settings)
    text = body.text.strip()
    if not text:
        return _error(request, session_id, new, lang, "web.chat.error_empty", 422)
    if text.startswith("/"):
        # "/help", "/status", "/settings"… work here as they do in Telegram.
        incoming = Incoming(kind="command", text=text, command_args=text.partition(" ")[2] or None)
    else:
        incoming = Incoming(kind="text", text=text)
    shown = chat.converse(sessions, settings=settings, session_id=session_id, lang=lang,
                          incoming=incoming, shown=chat.user_message(text, lang))
    return _json(request, session_id, new, lang, {"messages": _shown(sessions, session_id, shown)})


@router.post("/chat/button")
def chat_button(request: Request, body: ChatButton, settings: SettingsDep,
                sessions: SessionsDep) -> JSONResponse:
    """A pressed reply button."""
    session_id, new = _session_id(request)
    lang = _lang(request, settings)
    said = chat.answer_button(sessions, session_id=session_id, data=body.data, lang=lang)
    shown = chat.converse(sessions, settings=settings, session_id=session_id, lang=lang,
                          incoming=Incoming(kind="button", data=body.data), shown=said)
    payload: dict[str, Any] = {"messages": _shown(sessions, session_id, shown)}
    chosen = body.data.removeprefix("lang:")
    if body.data.startswith("lang:") and chosen in texts.LANGS and chosen != lang:
        # The resident chose a language in the conversation: the page follows it.
        payload["page_lang"] = chosen
    response = _json(request, session_id, new, lang, payload)
    if "page_lang" in payload:
        _remember(response, request, session_id, chosen)
    return response


@router.post("/chat/voice")
async def chat_voice(request: Request, settings: SettingsDep, sessions: SessionsDep,
                     audio: Annotated[UploadFile, File()]) -> JSONResponse:
    """A recorded or chosen voice note: kept first, then transcribed, then answered."""
    session_id, new = _session_id(request)
    lang = _lang(request, settings)
    data = await audio.read(settings.max_upload_bytes + 1)
    if len(data) > settings.max_upload_bytes:
        return _error(request, session_id, new, lang, "web.voice.error_too_big", 413)
    if not data:
        return _error(request, session_id, new, lang, "web.voice.error_empty", 422)
    suffix = voice.suffix_for(audio.content_type, audio.filename)
    path = await asyncio.to_thread(voice.store_upload, settings, data, suffix)
    transcript = await asyncio.to_thread(voice.transcribe, settings, path, lang)
    said_text = transcript or texts.get("web.voice.note_sent", lang)
    incoming = Incoming(kind="voice", audio_path=str(path), transcript=transcript)
    shown = await asyncio.to_thread(
        chat.converse, sessions, settings=settings, session_id=session_id, lang=lang,
        incoming=incoming, shown=chat.user_message(said_text, lang, kind="voice"),
    )
    messages = await asyncio.to_thread(_shown, sessions, session_id, shown)
    return _json(request, session_id, new, lang, {"messages": messages})


@router.get("/chat/poll")
def chat_poll(request: Request, settings: SettingsDep, sessions: SessionsDep) -> JSONResponse:
    """News for this browser's resident from the outbox (each shown once)."""
    session_id, new = _session_id(request)
    lang = _lang(request, settings)
    shown = [] if new else chat.poll(sessions, session_id=session_id, lang=lang)
    return _json(request, session_id, new, lang, {"messages": _shown(sessions, session_id, shown)})


@router.get("/chat/audio/{message_id}.ogg")
def chat_audio(message_id: int, request: Request, settings: SettingsDep,
               sessions: SessionsDep) -> Response:
    """A reply of this browser session read aloud (OGG/Opus)."""
    session_id, new = _session_id(request)
    lang = _lang(request, settings)
    if new:
        return _error(request, session_id, new, lang, "error.not_found", 404)
    with session_scope(sessions) as session:
        message = history.find(session, session_id, message_id)
    if message is None or message.get("from") != "bot" or not message.get("text"):
        return _error(request, session_id, new, lang, "error.not_found", 404)
    try:
        data = voice.speak(settings, str(message["text"]), str(message.get("lang") or lang))
    except Exception:
        return _error(request, session_id, new, lang, "web.voice.error_speak", 503)
    return Response(data, media_type="audio/ogg",
                    headers={"Cache-Control": "private, max-age=3600"})
