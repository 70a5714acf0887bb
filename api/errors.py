"""Domain exceptions → HTTP status, every error as JSON {"error": {"code", "message"}}."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from core import texts
from core.exceptions import (
    AlreadyExists,
    ConsentRequired,
    DomainError,
    IllegalTransition,
    InvalidInput,
    NotAllowed,
    NotFound,
    OfferClosed,
    RequestAlreadyTaken,
)

log = logging.getLogger("lightwing.api")


class ApiError(Exception):
    """An error raised by the HTTP layer itself (auth, limits, conflicts found in routes)."""

    def __init__(
        self,
        status: int,
        code: str,
        text_key: str,
        *,
        headers: dict[str, str] | None = None,
        **values: Any,
    ) -> None:
        super().__init__(code)
        self.status = status
        self.code = code
        self.text_key = text_key
        self.headers = headers
        self.values = values


def unauthorized() -> ApiError:
    """401: no key, or a key we do not know."""
    return ApiError(
        401, "unauthorized", "api.error.unauthorized", headers={"WWW-Authenticate": "Bearer"}
    )


def forbidden() -> ApiError:
    """403: a known key without the right."""
    return ApiError(403, "forbidden", "api.error.forbidden")


def area_desk() -> ApiError:
    """403: an area desk's key (no named coordinator) asked for a named coordinator's step."""
    return ApiError(403, "forbidden", "api.error.area_desk")


def not_found() -> ApiError:
    """404: absent, or outside the caller's areas (we do not say which)."""
    return ApiError(404, "not_found", "api.error.not_found")


def in_use() -> ApiError:
    """409: a delete refused because other rows refer to the object."""
    return ApiError(409, "in_use", "api.error.in_use")


def unavailable() -> ApiError:
    """503: a core part this route needs is not installed."""
    return ApiError(503, "unavailable", "api.error.unavailable")


# (status, code, text key) per domain exception; the first matching class wins.
DOMAIN_STATUS: tuple[tuple[type[DomainError], int, str, str], ...] = (
    (NotFound, 404, "not_found", "api.error.not_found"),
    (RequestAlreadyTaken, 409, "request_already_taken", "api.error.already_taken"),
    (OfferClosed, 409, "offer_closed", "api.error.offer_closed"),
    (IllegalTransition, 409, "illegal_transition", "api.error.illegal_transition"),
    (AlreadyExists, 409, "already_exists", "api.error.already_exists"),
    (ConsentRequired, 409, "consent_required", "api.error.consent_required"),
    (NotAllowed, 403, "forbidden", "api.error.forbidden"),
    (InvalidInput, 400, "invalid_input", "api.error.bad_request"),
)


def request_lang(request: Request | None, headers: Any = None) -> str:
    """zh or en from Accept-Language ('en-US,en;q=0.9' → en); the default otherwise."""
    raw = None
    if request is not None:
        raw = request.headers.get("accept-language")
    elif headers is not None:
        raw = headers.get("accept-language")
    if not raw:
        default = None
        if request is not None:
            settings = getattr(request.app.state, "settings", None)
            default = getattr(settings, "default_lang", None)
        return texts.normalise_lang(default)
    first = raw.split(",")[0].split(";")[0]
    return texts.normalise_lang(first)


def error_body(code: str, message: str) -> dict[str, Any]:
    """The one error shape of the API."""
    return {"error": {"code": code, "message": message}}


def error_response(
    status: int,
    code: str,
    text_key: str,
    lang: str,
    *,
    headers: dict[str, str] | None = None,
    **values: Any,
) -> JSONResponse:
    """A JSON error with the message in the caller's language."""
    message = texts.get(text_key, lang, **values)
    return JSONResponse(error_body(code, message), status_code=status, headers=headers)


def _detail(exc: DomainError, lang: str) -> str:
    """The most precise text a core service gave for the problem (its own prompt key)."""
    key = getattr(exc, "prompt_key", "")
    if key and texts.has(key, lang):
        return texts.get(key, lang, **exc.values)
    return exc.message


async def _domain(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    lang = request_lang(request)
    status, code, key = next(
        ((s, c, k) for cls, s, c, k in DOMAIN_STATUS if isinstance(exc, cls)),
        (400, exc.code, "api.error.bad_request"),
    )
    if isinstance(exc, NotAllowed) and "uses" in exc.values:
        # Refusing a delete because something still refers to the row is a conflict.
        status, code, key = 409, "in_use", "api.error.in_use"
    message = texts.get(key, lang, detail=_detail(exc, lang))
    return JSONResponse(error_body(code, message), status_code=status)


async def _api(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(
        exc.status, exc.code, exc.text_key, request_lang(request), headers=exc.headers,
        **exc.values,
    )


def _field(error: dict[str, Any]) -> str:
    loc = [str(part) for part in error.get("loc", ()) if part not in ("body",)]
    return ".".join(loc) or "body"


async def _validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    fields = ", ".join(dict.fromkeys(_field(e) for e in exc.errors())) or "body"
    return error_response(422, "validation_error", "api.error.validation",
                          request_lang(request), fields=fields)


_HTTP_CODES = {
    400: ("bad_request", "api.error.bad_request"),
    401: ("unauthorized", "api.error.unauthorized"),
    403: ("forbidden", "api.error.forbidden"),
    404: ("not_found", "api.error.not_found"),
    405: ("method_not_allowed", "api.error.bad_request"),
    413: ("too_large", "api.error.too_large"),
    422: ("validation_error", "api.error.validation"),
}


async def _http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    from api.bodylimit import BodyTooLarge

    if isinstance(exc.__cause__, BodyTooLarge):
        # FastAPI wraps errors raised while reading the body into a 400; undo that.
        return error_response(413, "too_large", "api.error.too_large", request_lang(request),
                              limit=exc.__cause__.limit)
    code, key = _HTTP_CODES.get(exc.status_code, ("http_error", "api.error.bad_request"))
    lang = request_lang(request)
    limit = getattr(request.app.state.settings, "max_body_bytes", 0)
    message = texts.get(key, lang, detail=str(exc.detail), fields="body", limit=limit)
    return JSONResponse(
        error_body(code, message), status_code=exc.status_code, headers=exc.headers
    )


async def _integrity(request: Request, exc: Exception) -> JSONResponse:
    # A unique or foreign-key rule of the database refused the write: the input conflicts.
    log.info("integrity error on %s: %s", request.url.path, exc)
    return error_response(409, "conflict", "api.error.conflict", request_lang(request),
                          detail="constraint")


async def _bad_value(request: Request, exc: Exception) -> JSONResponse:
    # Numbers too large for the database column and similar: bad input, never a 500.
    log.info("bad value on %s: %s", request.url.path, exc)
    return error_response(422, "validation_error", "api.error.validation",
                          request_lang(request), fields="body")


async def _internal(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s", request.url.path, exc_info=exc)
    return error_response(500, "internal", "api.error.internal", request_lang(request))


def install_error_handlers(app: FastAPI) -> None:
    """Register every mapping on the app."""
    app.add_exception_handler(DomainError, _domain)
    app.add_exception_handler(ApiError, _api)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(IntegrityError, _integrity)
    app.add_exception_handler(DataError, _bad_value)
    app.add_exception_handler(OverflowError, _bad_value)
    app.add_exception_handler(Exception, _internal)
