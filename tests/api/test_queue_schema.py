"""The queue's schema: is_open follows status on every write, and every page is an index walk."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text, update
from sqlmodel import Session

from core.models import OPEN_STATUSES, HelpRequest, RequestStatus
from core.models.request import (
    OPEN_FLAG_SQL,
    QUEUE_INDEXES,
    QUEUE_JSON_POSTGRESQL,
    QUEUE_JSON_SQLITE,
)
from core.services import queue
from tests.api.conftest import World

VERSIONS = Path(__file__).resolve().parents[2] / "core" / "migrations" / "versions"


def _migration(name: str = "0002_queue_open_flag") -> Any:
    spec = importlib.util.spec_from_file_location(f"migration_{name}", VERSIONS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_migration_and_model_compute_is_open_alike() -> None:
    # alembic check does not compare generated expressions: this does.
    assert _migration().OPEN_FLAG_SQL == OPEN_FLAG_SQL


def test_migration_and_model_write_the_queue_json_alike() -> None:
    migration = _migration("0003_queue_json")
    assert migration.QUEUE_JSON_SQLITE == QUEUE_JSON_SQLITE
    assert migration.QUEUE_JSON_POSTGRESQL == QUEUE_JSON_POSTGRESQL
    # The indexes the model declares are the ones the migration makes.
    declared = {index.name: [c.name for c in index.columns] for index in QUEUE_INDEXES}
    assert declared == dict(migration.INDEXES)


def _page(session: Session, **kwargs: Any) -> tuple[Any, Any]:
    """The API's JSON page (SQLite: the stored queue_json) and list_queue's page, as dicts."""
    now = datetime.now(UTC)
    body = json.loads(queue.queue_page_json(session, now=now, limit=200, **kwargs))
    page = queue.list_queue(session, now=now, limit=200, **kwargs)
    return body["items"], page.items


def test_queue_json_follows_every_kind_of_write(
    api_world: World, sessions: Callable[[], Session]
) -> None:
    request_id = api_world.ids["req_a"]
    later = datetime.now(UTC) + timedelta(days=3)
    writes = (
        {"category": "escort", "urgency": "urgent"},
        {"status": "accepted", "volunteer_id": api_world.ids["vol_a"], "ring": 2},
        {"deadline": later, "updated_at": later, "text": 'Say "hi" \\ to 王 ' + "x" * 300},
        {"deadline": None, "team_id": api_world.ids["team_a"], "confidence": 0.125},
        {"area_id": api_world.ids["area_b"]},
    )
    with sessions() as session:
        for values in writes:
            # A Core UPDATE, as dispatch's guarded transitions write it.
            session.execute(update(HelpRequest).where(HelpRequest.id == request_id)
                            .values(**values))
            session.commit()
            stored, built = _page(session)
            assert stored == built
            mine = next(item for item in stored if item["id"] == request_id)
            for name, value in values.items():
                if name in mine and not isinstance(value, datetime):
                    assert mine[name] == value, name
        req = session.get(HelpRequest, request_id)
        assert req is not None
        req.status = "done"  # through the ORM: closed, so off the queue
        session.commit()
        stored, built = _page(session)
        assert stored == built and request_id not in {item["id"] for item in stored}


def _is_open(session: Session, request_id: int) -> Any:
    return session.connection().execute(
        text("SELECT is_open FROM helprequest WHERE id = :id"), {"id": request_id}
    ).scalar()


def test_is_open_follows_status_on_every_kind_of_write(
    api_world: World, sessions: Callable[[], Session]
) -> None:
    request_id = api_world.ids["req_a"]
    with sessions() as session:
        assert _is_open(session, request_id) == 1  # written by the unit of work as "offered"
        for status in RequestStatus:
            # A Core UPDATE, as dispatch's guarded transitions write it.
            session.execute(update(HelpRequest).where(HelpRequest.id == request_id)
                            .values(status=status.value))
            session.commit()
            assert _is_open(session, request_id) == (1 if status in OPEN_STATUSES else None)
        req = session.get(HelpRequest, request_id)
        assert req is not None
        req.status = "unassigned"  # and through the ORM
        session.commit()
        assert _is_open(session, request_id) == 1


@pytest.fixture
def many(api_world: World, sessions: Callable[[], Session]) -> World:
    """Enough open and closed rows in both districts for real plans."""
    ids = api_world.ids
    now = datetime.now(UTC)
    with sessions() as session:
        for n in range(300):
            session.add(HelpRequest(
                resident_id=ids["res_a"] if n % 2 else ids["res_b"],
                area_id=ids["area_a1"] if n % 2 else ids["area_b"],
                status="offered" if n % 10 in (0, 1) else "confirmed", category="reading",
                deadline=now + timedelta(minutes=n % 37),
            ))
        session.commit()
        if session.connection().dialect.name == "postgresql":
            session.execute(text("ANALYZE helprequest"))
            session.commit()
    return api_world


def _plans(session: Session, run: Callable[[], Any]) -> list[str]:
    """The query plan of every queue SELECT that run() makes through SQLAlchemy."""
    statements: list[tuple[str, Any]] = []
    engine = session.get_bind()

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "FROM helprequest" in statement:
            statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        run()
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    return _explain(session, statements)


class _Noting:
    """A DB-API connection that notes every statement run on its cursors (page_json's path)."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.statements: list[tuple[str, Any]] = []

    def cursor(self) -> Any:
        cursor = self.connection.cursor()
        statements = self.statements

        class Cursor:
            def execute(self, sql: str, parameters: Any) -> Any:
                statements.append((sql, parameters))
                return cursor.execute(sql, parameters)

            def fetchall(self) -> Any:
                return cursor.fetchall()

            def close(self) -> None:
                cursor.close()

        return Cursor()


def _explain(session: Session, statements: list[tuple[str, Any]]) -> list[str]:
    conn = session.connection()
    plans = []
    for statement, parameters in statements:
        if conn.dialect.name == "sqlite":
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
            plans.append("\n".join(str(row[-1]) for row in rows))
        else:
            # A tiny test table makes a sequential scan cheapest; forbid it and sorting, so the
            # plan shows whether an index can give the page in its order at all.
            conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
            conn.exec_driver_sql("SET LOCAL enable_sort = off")
            conn.exec_driver_sql("SET LOCAL enable_bitmapscan = off")
            rows = conn.exec_driver_sql("EXPLAIN " + statement, parameters)
            plans.append("\n".join(str(row[0]) for row in rows))
    return plans


@pytest.mark.parametrize("sort", queue.SORTS)
@pytest.mark.parametrize("who", ["admin", "district"])
def test_every_page_walks_an_index_in_page_order(
    many: World, sessions: Callable[[], Session], sort: str, who: str
) -> None:
    ids = many.ids
    scope = None if who == "admin" else frozenset({ids["area_a"], ids["area_a1"]})
    with sessions() as session:
        first = queue.list_queue(session, area_scope=scope, sort=sort, limit=5)
        assert first.next_cursor is not None
        plans = _plans(session, lambda: queue.list_queue(
            session, area_scope=scope, sort=sort, limit=5, cursor=first.next_cursor))
        plans += _plans(session, lambda: queue.list_queue(
            session, area_scope=scope, sort=sort, limit=5))
    assert plans
    for plan in plans:
        assert "ix_helprequest_open_" in plan, plan
        assert "TEMP B-TREE" not in plan and "Sort" not in plan, plan


@pytest.mark.parametrize("sort", queue.SORTS)
@pytest.mark.parametrize("who", ["admin", "district"])
def test_every_json_page_walks_an_index_in_page_order(
    many: World, sessions: Callable[[], Session], sort: str, who: str
) -> None:
    """The API's own path (page_json on a DB-API connection): the same index walks."""
    ids = many.ids
    scope = None if who == "admin" else frozenset({ids["area_a"], ids["area_a1"]})
    with sessions() as session:
        conn = session.connection()
        noting = _Noting(conn.connection)
        first = json.loads(queue.page_json(noting, dialect=conn.dialect, area_scope=scope,
                                           sort=sort, limit=5))
        assert first["next_cursor"] is not None
        queue.page_json(noting, dialect=conn.dialect, area_scope=scope, sort=sort, limit=5,
                        cursor=first["next_cursor"])
        plans = _explain(session, noting.statements)
    assert len(plans) >= 2
    for plan in plans:
        assert "ix_helprequest_open_" in plan, plan
        assert "TEMP B-TREE" not in plan and "Sort" not in plan, plan
    if conn.dialect.name == "sqlite":
        # Each row's JSON is read from the index (queue_json), not built from the table's row.
        assert all("queue_json" in sql and "json_object" not in sql for sql, _ in noting.statements)
