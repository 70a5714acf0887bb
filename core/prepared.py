"""Statements compiled once per database and run on the DB-API cursor: the hot paths' reads.

SQLAlchemy Core spends more Python on each execution (cache key, compiled-cache lookup,
parameter processing, result wrapping) than SQLite spends running a small indexed query.
The busiest reads (the queue page, the rows a routing decision reads) skip that: each
statement is compiled once per dialect and executed on the session's own DB-API connection,
so it runs inside the session's transaction exactly as SQLAlchemy would run it.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Dialect
from sqlmodel import Session


@dataclass(frozen=True)
class Prepared:
    """A statement compiled once for one database: its SQL text and how to bind values to it.

    Lists known when it is compiled (`status IN ('accepted', 'in_progress')`) are expanded
    then; a list given per call needs one statement text for every length, so it is not
    supported (pass it as a JSON text or an array instead).
    """

    sql: str
    # Parameter names in placeholder order (positional drivers, e.g. sqlite3), or None (named).
    order: tuple[str, ...] | None
    # Every parameter with the value compiled into the statement (None: given per call),
    # already in the driver's form.
    defaults: tuple[tuple[str, Any], ...]
    # Conversions the dialect applies to a value given per call (SQLite: datetimes to text).
    processors: dict[str, Callable[[Any], Any]]
    # Conversions of each result column (JSON text to lists, SQLite datetimes); None: as read.
    results: tuple[Callable[[Any], Any] | None, ...] | None = None
    # The row type (attribute access by column name) when results are converted.
    row_type: Any = None

    @classmethod
    def compile(cls, statement: Any, dialect: Dialect, *, convert: bool = False) -> Prepared:
        """Compile statement for dialect; `convert`: rows come back as the model's types."""
        compiled = statement.compile(dialect=dialect)
        per_call = [name for name, bind in compiled.binds.items() if bind.required]
        for name, bind in compiled.binds.items():
            if bind.expanding and bind.value is None:
                raise ValueError(f"a list given per call cannot be prepared: {name}")
        state = compiled.construct_expanded_state(dict.fromkeys(per_call))
        expanded = state.processors or {}
        defaults, processors = [], []
        for name, value in state.parameters.items():
            bind = compiled.binds.get(name)
            processor = (expanded.get(name) if bind is None
                         else bind.type.dialect_impl(dialect).bind_processor(dialect))
            if processor is not None:
                processors.append((name, processor))
                if value is not None:
                    value = processor(value)
            defaults.append((name, value))
        order = tuple(state.positiontup) if dialect.positional and state.positiontup else None
        results = row_type = None
        if convert:
            columns = list(statement.selected_columns)
            results = tuple(
                column.type.dialect_impl(dialect).result_processor(dialect, None)
                for column in columns
            )
            row_type = namedtuple("Row", [column.key for column in columns])  # type: ignore[misc]
        return cls(state.statement, order, tuple(defaults), dict(processors), results, row_type)

    def parameters(self, given: dict[str, Any]) -> Any:
        """The DB-API parameters for these values (a tuple or a dict, as the driver wants)."""
        values = dict(self.defaults)
        for name, value in given.items():
            if name in values:
                processor = self.processors.get(name)
                values[name] = value if value is None or processor is None else processor(value)
        if self.order is None:
            return values
        return tuple(values[name] for name in self.order)

    def rows(self, connection: Any, given: dict[str, Any]) -> list[Any]:
        """Execute on a DB-API connection; every row as a tuple (converted if compiled so)."""
        cursor = connection.cursor()
        try:
            cursor.execute(self.sql, self.parameters(given))
            found = cursor.fetchall()
        finally:
            cursor.close()
        if self.results is None:
            return list(found)
        make, steps = self.row_type, self.results
        return [
            make(*[value if step is None or value is None else step(value)
                   for step, value in zip(steps, row, strict=True)])
            for row in found
        ]

    def run(self, session: Session, given: dict[str, Any]) -> list[Any]:
        """rows() on the session's connection, inside its transaction."""
        return self.rows(session.connection().connection, given)


def detached(model: type[Any], values: dict[str, Any]) -> Any:
    """A transient model instance holding values as loaded, without pydantic validation.

    For rows just written or read by a prepared statement: the values came from our own code
    or the database, and validating them again in the constructor costs more than the query.
    """
    obj = model._sa_class_manager.new_instance()
    obj.__dict__.update(values)
    return obj


@lru_cache(maxsize=64)
def _by_key(model: type[Any], dialect: Dialect) -> tuple[Prepared, tuple[str, ...]]:
    table = model.__table__
    (key,) = table.primary_key.columns
    statement = select(*table.columns).where(key == bindparam("key"))
    return Prepared.compile(statement, dialect, convert=True), tuple(table.columns.keys())


def read_row(session: Session, model: type[Any], key: Any) -> Any | None:
    """The row with this primary key as a read-only instance, or None.

    The session's own instance when it holds one; else the row is read by a prepared
    statement and returned detached: for reading only (changes to it are never saved).
    """
    held = session.identity_map.get(session.identity_key(model, key))  # type: ignore[arg-type]
    if held is not None:
        return held
    prepared, names = _by_key(model, session.get_bind().dialect)
    found = prepared.run(session, {"key": key})
    return detached(model, dict(zip(names, found[0], strict=True))) if found else None
