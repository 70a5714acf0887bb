"""Shared fixtures: a real database per test (SQLite file, or PostgreSQL when configured)."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlmodel import Session, SQLModel

from core.db import make_engine, session_factory, upgrade_schema
from core.settings import Settings, sqlalchemy_url

# Set by .ci/run for the second pass of the suite: a server URL we may create databases on.
PG_ADMIN_URL = os.environ.get("LIGHTWING_TEST_PG_URL")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for every test (migrating once is much faster)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade_schema(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str | None]:
    """A fresh PostgreSQL database for this test session, when a server is configured."""
    if not PG_ADMIN_URL:
        yield None
        return
    name = f"lw_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(sqlalchemy_url(PG_ADMIN_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = sqlalchemy_url(PG_ADMIN_URL).rsplit("/", 1)[0] + f"/{name}"
    upgrade_schema(url)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def db_url(tmp_path: Path, sqlite_template: Path, pg_database: str | None) -> Iterator[str]:
    """The URL of an empty, migrated database for one test."""
    if pg_database:
        engine = create_engine(pg_database)
        with engine.begin() as conn:
            names = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        engine.dispose()
        yield pg_database
        return
    path = tmp_path / "lightwing.db"
    shutil.copyfile(sqlite_template, path)
    yield f"sqlite:///{path}"


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> Settings:
    """Settings for one test: its own data directory and database."""
    return Settings(database_url=db_url, data_dir=tmp_path / "data")


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on the test database."""
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def sessions(engine: Engine) -> Callable[[], Session]:
    """A session factory on the test database."""
    return session_factory(engine)


@pytest.fixture
def session(sessions: Callable[[], Session]) -> Iterator[Session]:
    """One open session on the test database."""
    with sessions() as s:
        yield s
