"""API keys: create (plaintext shown once), authenticate to a Principal, list and revoke."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, select

from core.exceptions import InvalidInput, NotAllowed, NotFound
from core.models import ApiKey, Area, Coordinator, Role
from core.models._types import utcnow

TOKEN_PREFIX = "lw"
ROLES: frozenset[str] = frozenset(r.value for r in Role)


@dataclass(frozen=True)
class Principal:
    """Who is calling: a role, the person it stands for, and (coordinators) the areas seen."""

    role: str
    subject_id: int | None = None
    area_ids: tuple[int, ...] = ()
    # Every area id the principal may see: its areas and all areas below them.
    area_scope: frozenset[int] = field(default_factory=frozenset)
    key_id: int | None = None
    name: str = ""

    @property
    def is_admin(self) -> bool:
        """Admins see everything."""
        return self.role == Role.admin

    @property
    def is_coordinator(self) -> bool:
        """Coordinators see their areas and everything below."""
        return self.role == Role.coordinator

    def sees_area(self, area_id: int | None) -> bool:
        """Whether an object in area_id is inside this principal's scope (admins: always)."""
        if self.is_admin:
            return True
        if self.is_coordinator:
            return area_id is not None and area_id in self.area_scope
        return False

    @property
    def is_area_desk(self) -> bool:
        """A coordinator key made for areas (`keys create --role coordinator --area …`) with no
        Coordinator behind it: it sees and files for its areas only, and never acts as admin."""
        return self.is_coordinator and self.subject_id is None

    @property
    def actor(self) -> str:
        """The actor string used in the event log ("coordinator:2", "admin", …).

        An area desk is "coordinator" without an id: the event log names no person it cannot
        name, and lifecycle steps that need a named coordinator's rights refuse it.
        """
        if self.is_admin:
            return "admin"
        if self.subject_id is None:
            return str(self.role)
        return f"{self.role}:{self.subject_id}"


ADMIN = Principal(role=Role.admin, name="admin")


def hash_token(token: str) -> str:
    """The stored form of a key: sha256 hex of the whole token (keys are random, no salt needed)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def expand_areas(session: Session, area_ids: Iterable[int]) -> frozenset[int]:
    """The given areas and every area below them on the tree."""
    ids = {int(a) for a in area_ids}
    if not ids:
        return frozenset()
    roots = session.exec(select(Area.id, Area.path).where(Area.id.in_(ids))).all()  # type: ignore[union-attr]
    if not roots:
        return frozenset()
    conditions = [Area.path.startswith(path) for _, path in roots if path and path != "/"]  # type: ignore[union-attr]
    found = {rid for rid, _ in roots}
    if conditions:
        found.update(session.exec(select(Area.id).where(or_(*conditions))).all())
    return frozenset(int(a) for a in found if a is not None)


def create_key(
    session: Session,
    *,
    role: str,
    area_ids: list[int] | None = None,
    subject_id: int | None = None,
    name: str = "",
) -> tuple[ApiKey, str]:
    """A new key; returns the stored row and the plaintext "lw_<prefix>_<secret>" (shown once)."""
    if role not in ROLES:
        raise InvalidInput("unknown role", role=role)
    area_ids = [int(a) for a in (area_ids or [])]
    if role == Role.coordinator and not area_ids:
        raise InvalidInput("a coordinator key needs areas")
    if area_ids:
        known = set(session.exec(select(Area.id).where(Area.id.in_(area_ids))).all())  # type: ignore[union-attr]
        if known != set(area_ids):
            raise InvalidInput("unknown area", area_ids=sorted(set(area_ids) - known))
    if role in (Role.volunteer, Role.resident) and subject_id is None:
        raise InvalidInput("a volunteer or resident key needs a subject")
    prefix = secrets.token_hex(6)
    token = f"{TOKEN_PREFIX}_{prefix}_{secrets.token_urlsafe(24)}"
    key = ApiKey(
        prefix=prefix,
        hash=hash_token(token),
        role=role,
        name=name or "",
        area_ids=area_ids,
        subject_id=subject_id,
    )
    session.add(key)
    session.commit()
    session.refresh(key)
    return key, token


def _split(token: str) -> str | None:
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1]


def authenticate(session: Session, *, token: str, admin_key: str | None = None) -> Principal:
    """The Principal of a bearer token; raises NotAllowed for unknown or revoked keys."""
    token = (token or "").strip()
    if not token:
        raise NotAllowed("missing key")
    if admin_key and hmac.compare_digest(token.encode(), admin_key.encode()):
        return ADMIN
    prefix = _split(token)
    if prefix is None:
        raise NotAllowed("malformed key")
    key = session.exec(select(ApiKey).where(ApiKey.prefix == prefix)).first()
    if key is None or key.revoked_at is not None:
        raise NotAllowed("unknown or revoked key")
    if not hmac.compare_digest(key.hash, hash_token(token)):
        raise NotAllowed("unknown key")
    return principal_for_key(session, key)


# The revocation check runs on every API call: plain DB-API, no statement object to execute.
_LIVE_SQL = {
    "qmark": "SELECT revoked_at FROM apikey WHERE id = ?",
    "format": "SELECT revoked_at FROM apikey WHERE id = %s",
    "pyformat": "SELECT revoked_at FROM apikey WHERE id = %s",
}


def key_is_live(session: Session, *, key_id: int) -> bool:
    """Whether a key still exists unrevoked: one primary-key read, cheap enough for every call."""
    connection = session.connection()
    if connection.dialect.paramstyle not in _LIVE_SQL:  # pragma: no cover - SQLite and PG only
        row = connection.execute(
            sa_select(ApiKey.revoked_at).where(ApiKey.id == key_id)  # type: ignore[arg-type]
        ).first()
        return row is not None and row[0] is None
    return key_is_live_on(connection.connection, paramstyle=connection.dialect.paramstyle,
                          key_id=key_id)


def key_is_live_on(connection: Any, *, paramstyle: str, key_id: int) -> bool:
    """key_is_live on a DB-API connection whose driver uses paramstyle (qmark, format, …)."""
    cursor = connection.cursor()
    try:
        cursor.execute(_LIVE_SQL[paramstyle], (key_id,))
        row = cursor.fetchone()
    finally:
        cursor.close()
    return row is not None and row[0] is None


def principal_for_key(session: Session, key: ApiKey) -> Principal:
    """The Principal a stored key stands for (coordinator areas expanded down the tree)."""
    area_ids = tuple(int(a) for a in key.area_ids or [])
    if key.role == Role.coordinator and not area_ids and key.subject_id is not None:
        coordinator = session.get(Coordinator, key.subject_id)
        if coordinator is not None:
            area_ids = (coordinator.area_id,)
    scope = expand_areas(session, area_ids) if key.role == Role.coordinator else frozenset()
    return Principal(
        role=key.role,
        subject_id=key.subject_id,
        area_ids=area_ids,
        area_scope=scope,
        key_id=key.id,
        name=key.name,
    )


def list_keys(session: Session, *, include_revoked: bool = True) -> list[ApiKey]:
    """Every key (hashes stay in the row; adapters show ApiKeyPublic)."""
    query = select(ApiKey).order_by(ApiKey.id)  # type: ignore[arg-type]
    if not include_revoked:
        query = query.where(ApiKey.revoked_at.is_(None))  # type: ignore[union-attr]
    return list(session.exec(query).all())


def get_key(session: Session, *, key_id: int) -> ApiKey:
    """One key by id."""
    key = session.get(ApiKey, key_id)
    if key is None:
        raise NotFound("no such key", key_id=key_id)
    return key


def revoke_key(
    session: Session,
    *,
    key_id: int | None = None,
    prefix: str | None = None,
    now: datetime | None = None,
) -> ApiKey:
    """Mark a key revoked (by id or prefix); authenticate refuses it from then on."""
    key: ApiKey | None = None
    if key_id is not None:
        key = session.get(ApiKey, key_id)
    elif prefix:
        key = session.exec(select(ApiKey).where(ApiKey.prefix == prefix)).first()
    if key is None:
        raise NotFound("no such key")
    if key.revoked_at is None:
        key.revoked_at = now or utcnow()
        session.add(key)
        session.commit()
        session.refresh(key)
    return key
