"""FastAPI dependencies: settings, a database session, the calling principal and role checks."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import SecretStr
from sqlmodel import Session

from api.errors import forbidden, request_lang, unauthorized
from core.exceptions import NotAllowed
from core.services import apikeys
from core.services.apikeys import Principal
from core.settings import Settings

bearer = HTTPBearer(auto_error=False, description="An API key: `Bearer lw_<prefix>_<secret>`")
# How long a checked key is trusted in this process before it is looked up again.
PRINCIPAL_TTL_S = 5.0


async def get_settings(request: Request) -> Settings:
    """The app's settings."""
    return request.app.state.settings


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One session per HTTP request, closed afterwards (services commit their own work).

    Creating a session does no I/O (it connects on first use), so this runs on the event loop
    instead of costing a thread hop per request.
    """
    session = request.app.state.sessions()
    try:
        yield session
    finally:
        session.close()


async def get_lang(request: Request) -> str:
    """zh or en, from Accept-Language."""
    return request_lang(request)


class PrincipalCache:
    """Checked keys by token for a few seconds, so a busy client costs no lookup per call."""

    def __init__(self, ttl_s: float = PRINCIPAL_TTL_S) -> None:
        self.ttl_s = ttl_s
        self._items: dict[str, tuple[float, Principal]] = {}

    def get(self, token: str) -> Principal | None:
        """The cached principal, if still fresh."""
        item = self._items.get(token)
        if item is None or item[0] < time.monotonic():
            return None
        return item[1]

    def put(self, token: str, principal: Principal) -> None:
        """Remember a principal; the cache is bounded by clearing it when full."""
        if len(self._items) > 10_000:
            self._items.clear()
        self._items[token] = (time.monotonic() + self.ttl_s, principal)

    def clear(self) -> None:
        """Forget every key (after a revocation)."""
        self._items.clear()


async def get_principal(
    request: Request,
    session: Annotated[Session, Depends(get_session)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """The caller, from `Authorization: Bearer <key>`; 401 when missing or unknown."""
    if credentials is None or not credentials.credentials:
        raise unauthorized()
    token = credentials.credentials
    cache: PrincipalCache = request.app.state.principals
    principal = cache.get(token)
    if principal is not None:
        return principal
    settings: Settings = request.app.state.settings
    secret = settings.admin_key
    admin_key = secret.get_secret_value() if isinstance(secret, SecretStr) else secret
    try:
        principal = await run_in_threadpool(
            apikeys.authenticate, session, token=token, admin_key=admin_key
        )
    except NotAllowed as exc:
        raise unauthorized() from exc
    cache.put(token, principal)
    return principal


def require(*roles: str) -> Callable[..., Any]:
    """A dependency that lets only the given roles through (403 for the others)."""
    allowed = frozenset(roles)

    async def check(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
        if principal.role not in allowed:
            raise forbidden()
        return principal

    return check


SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
AnyPrincipal = Annotated[Principal, Depends(get_principal)]
Staff = Annotated[Principal, Depends(require("admin", "coordinator"))]
Admin = Annotated[Principal, Depends(require("admin"))]
