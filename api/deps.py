"""FastAPI dependencies: settings, a database session, the calling principal and role checks."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import SecretStr
from sqlalchemy import Engine
from sqlmodel import Session

from api.errors import forbidden, request_lang, unauthorized
from core.exceptions import NotAllowed
from core.services import apikeys
from core.services.apikeys import Principal
from core.settings import Settings

T = TypeVar("T")
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


def _known(request: Request, token: str, live: Callable[[int], bool]) -> Principal | None:
    """The principal cached for token, its key checked for revocation (None: not cached).

    live(key_id) reads the key's row: on the request's own connection, whichever it is.
    """
    cache: PrincipalCache = request.app.state.principals
    principal = cache.get(token)
    if principal is None:
        return None
    # A revocation made by any process takes effect at once: one primary-key read on the
    # request's own connection (the configured admin key has no row and cannot be revoked).
    if principal.key_id is None or live(principal.key_id):
        return principal
    cache.forget(token)
    raise unauthorized()


def _live_in(session: Session) -> Callable[[int], bool]:
    return lambda key_id: apikeys.key_is_live(session, key_id=key_id)


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
        principal = await run_in_threadpool(_known, request, token, _live_in(session))
    else:
        principal = _known(request, token, _live_in(session))
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


def authorize_on(request: Request, connection: Any, roles: frozenset[str]) -> Principal:
    """The caller if their role is one of roles (401/403 otherwise), as `require` checks.

    Plain (not async), for the busiest route: it runs on a DB-API connection of the app's
    engine (`LoopConnection`, `ThreadConnections`), maybe in a worker thread, and declares
    `BEARER_SECURITY` in its OpenAPI entry as `require` would. A key not cached yet is checked
    on a session.
    """
    token = bearer_token(request)
    if token is None:
        raise unauthorized()
    paramstyle = request.app.state.engine.dialect.paramstyle
    principal = _known(request, token, lambda key_id: apikeys.key_is_live_on(
        connection, paramstyle=paramstyle, key_id=key_id))
    if principal is None:
        with request.app.state.sessions() as session:
            principal = _authenticate(request, session, token)
    if principal.role not in roles:
        raise forbidden()
    return principal


class LoopConnection:
    """One DB-API connection of the engine kept for code that runs on the event loop (SQLite).

    Such code runs one request at a time and never awaits while it holds the connection, so
    one connection serves every request: no pool checkout and checkin on the busiest route.
    It holds no transaction between requests (reads only; SQLite's reads begin none), so every
    read sees what other connections and processes committed.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._connection: Any = None

    def run(self, work: Callable[[Any], T], *, again: bool = True) -> T:
        """work(connection), on the event loop; once more on a fresh connection if it fails."""
        if self._connection is None:
            self._connection = engine_connection(self.engine, autocommit=False)
        connection = self._connection
        try:
            return work(connection)
        except self.engine.dialect.loaded_dbapi.Error:
            # The database failed: drop the connection; reads, so once more on a fresh one.
            self._connection = None
            connection.invalidate()
            if not again:
                raise
            return self.run(work, again=False)

    def close(self) -> None:
        """Give the connection back to the pool (app shutdown)."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None


class ThreadConnections:
    """A few threads of the app's own, each keeping one DB-API connection (PostgreSQL).

    For the busiest route, whose reads wait for the database server: off the event loop, and
    without a pool checkout (with its ping round trip) and checkin per request. Autocommit:
    reads only, so no BEGIN and ROLLBACK round trips. A connection that fails is dropped and
    the work done once more on a fresh one.
    """

    def __init__(self, engine: Engine, threads: int = 4) -> None:
        self.engine = engine
        self._local = threading.local()
        self._kept: list[Any] = []
        self._lock = threading.Lock()
        self._executor = ThreadPoolExecutor(max_workers=threads,
                                            thread_name_prefix="lightwing-reader")

    async def run(self, work: Callable[[Any], T]) -> T:
        """work(connection) in one of the threads, on that thread's connection."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._run, work, True)

    def _run(self, work: Callable[[Any], T], again: bool) -> T:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = engine_connection(self.engine, autocommit=True)
            self._local.connection = connection
            with self._lock:
                self._kept.append(connection)
        try:
            return work(connection)
        except self.engine.dialect.loaded_dbapi.Error:
            # The database failed: drop the connection; reads, so once more on a fresh one.
            self._local.connection = None
            with self._lock:
                self._kept.remove(connection)
            connection.invalidate()
            if not again:
                raise
            return self._run(work, False)

    def close(self) -> None:
        """Stop the threads and give their connections back to the pool (app shutdown)."""
        self._executor.shutdown(wait=True)
        with self._lock:
            kept, self._kept = self._kept, []
        for connection in kept:
            try:
                connection.driver_connection.autocommit = False
            except Exception:
                connection.invalidate()  # unusable: the pool must not hand it out again
            connection.close()


def engine_connection(engine: Engine, *, autocommit: bool) -> Any:
    """A DB-API connection from the engine's pool (autocommit: PostgreSQL reads)."""
    connection = engine.raw_connection()
    if autocommit:
        connection.driver_connection.autocommit = True  # type: ignore[union-attr]
    return connection


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
# The OpenAPI security entry of a route that authorises with `authorize_on`, not a dependency.
BEARER_SECURITY: list[dict[str, list[str]]] = [{"HTTPBearer": []}]
SettingsDep = Annotated[Settings, Depends(get_settings)]
AnyPrincipal = Annotated[Principal, Depends(get_principal)]
Staff = Annotated[Principal, Depends(require(*STAFF))]
Admin = Annotated[Principal, Depends(require("admin"))]
