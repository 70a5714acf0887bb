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
# How long a checked key's principal (role, areas expanded down the tree) is reused in this
# process. Revocation does not wait for it: every request checks the key's row (see _known);
# only an area added below a coordinator's areas takes up to this long to show in their scope.
PRINCIPAL_TTL_S = 60.0


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


async def get_sessions(request: Request) -> Callable[[], Session]:
    """The app's session factory, for a route that opens (and closes) its session itself."""
    return request.app.state.sessions


async def get_lang(request: Request) -> str:
    """zh or en, from Accept-Language."""
    return request_lang(request)


class PrincipalCache:
    """Checked keys by token, so a busy client costs no hash, no key row and no area expansion."""

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

    def forget(self, token: str) -> None:
        """Drop one key (found revoked)."""
        self._items.pop(token, None)

    def clear(self) -> None:
        """Forget every key."""
        self._items.clear()


Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


def _known(request: Request, session: Session, token: str) -> Principal | None:
    """The principal cached for token, its key checked for revocation (None: not cached)."""
    cache: PrincipalCache = request.app.state.principals
    principal = cache.get(token)
    if principal is None:
        return None
    # A revocation made by any process takes effect at once: one primary-key read on the
    # request's own connection (the configured admin key has no row and cannot be revoked).
    if principal.key_id is None or apikeys.key_is_live(session, key_id=principal.key_id):
        return principal
    cache.forget(token)
    raise unauthorized()


def _authenticate(request: Request, session: Session, token: str) -> Principal:
    """Check a key not cached yet (hash, key row, areas) and cache its principal."""
    settings: Settings = request.app.state.settings
    secret = settings.admin_key
    admin_key = secret.get_secret_value() if isinstance(secret, SecretStr) else secret
    try:
        principal = apikeys.authenticate(session, token=token, admin_key=admin_key)
    except NotAllowed as exc:
        raise unauthorized() from exc
    request.app.state.principals.put(token, principal)
    return principal


async def _principal(
    request: Request, session: Session, credentials: HTTPAuthorizationCredentials | None
) -> Principal:
    """The caller, from `Authorization: Bearer <key>`; 401 when missing, unknown or revoked."""
    if credentials is None or not credentials.credentials:
        raise unauthorized()
    token = credentials.credentials
    if session.get_bind().dialect.name == "postgresql":
        # The revocation check is a round trip to the server there: not on the event loop.
        principal = await run_in_threadpool(_known, request, session, token)
    else:
        principal = _known(request, session, token)
    if principal is not None:
        return principal
    return await run_in_threadpool(_authenticate, request, session, token)


async def get_principal(
    request: Request, session: Annotated[Session, Depends(get_session)], credentials: Credentials
) -> Principal:
    """Any caller with a valid key."""
    return await _principal(request, session, credentials)


def bearer_token(request: Request) -> str | None:
    """The key `bearer` (HTTPBearer, auto_error off) would read, without a dependency round."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    return token


def authorize(request: Request, session: Session, roles: frozenset[str]) -> Principal:
    """The caller if their role is one of roles (401/403 otherwise), as `require` checks.

    Plain (not async), for the busiest route, which opens its own session and may run in a
    worker thread; it declares `BEARER_SECURITY` in its OpenAPI entry as `require` would.
    """
    token = bearer_token(request)
    if token is None:
        raise unauthorized()
    principal = _known(request, session, token) or _authenticate(request, session, token)
    if principal.role not in roles:
        raise forbidden()
    return principal


def require(*roles: str) -> Callable[..., Any]:
    """A dependency that lets only the given roles through (403 for the others)."""
    allowed = frozenset(roles)

    # One level of dependencies, not two: this runs on every call of the busiest routes.
    async def check(
        request: Request, session: Annotated[Session, Depends(get_session)],
        credentials: Credentials,
    ) -> Principal:
        principal = await _principal(request, session, credentials)
        if principal.role not in allowed:
            raise forbidden()
        return principal

    return check


SessionDep = Annotated[Session, Depends(get_session)]
SessionsDep = Annotated[Callable[[], Session], Depends(get_sessions)]
STAFF: frozenset[str] = frozenset({"admin", "coordinator"})
# The OpenAPI security entry of a route that authorises with `authorize` instead of a dependency.
BEARER_SECURITY: list[dict[str, list[str]]] = [{"HTTPBearer": []}]
SettingsDep = Annotated[Settings, Depends(get_settings)]
AnyPrincipal = Annotated[Principal, Depends(get_principal)]
Staff = Annotated[Principal, Depends(require(*STAFF))]
Admin = Annotated[Principal, Depends(require("admin"))]
