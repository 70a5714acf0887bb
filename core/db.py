"""Engine and session factories; schema upgrades through Alembic."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from core.settings import Settings
from core.sqlite_writer import connection_class

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# How long a SQLite writer waits for another before giving up ("database is locked").
BUSY_TIMEOUT_S = 15.0


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    # Writers queue instead of failing at once when another process holds the lock.
    cursor.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # 64 MB page cache: the queue and routing read the same hot pages over and over.
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.close()


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """An engine for SQLite (WAL, foreign keys) or PostgreSQL (psycopg 3)."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        connect_args: dict[str, Any] = {"check_same_thread": False, "timeout": BUSY_TIMEOUT_S}
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            # Writers of several processes take turns without sleeping in SQLite's busy handler.
            connect_args["factory"] = connection_class(path, BUSY_TIMEOUT_S)
        engine = create_engine(url, echo=echo, connect_args=connect_args)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=20)


def engine_from_settings(settings: Settings) -> Engine:
    """The engine for the configured database."""
    return make_engine(settings.resolved_database_url)


def session_factory(engine: Engine) -> Callable[[], Session]:
    """A factory of SQLModel sessions bound to the engine."""
    return sessionmaker(bind=engine, class_=Session, expire_on_commit=False)


@contextmanager
def session_scope(factory: Callable[[], Session]) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def alembic_config(url: str) -> Any:
    """An Alembic config pointing at the packaged migrations and the given database."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade_schema(url: str) -> None:
    """Bring the database schema up to the newest migration."""
    from alembic import command

    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                # Several processes may start together: one migrates, the others wait.
                connection.execute(text("SELECT pg_advisory_xact_lock(7426001)"))
            config = alembic_config(url)
            # Reusing our engine applies the SQLite pragmas and creates the data folder.
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    finally:
        engine.dispose()
