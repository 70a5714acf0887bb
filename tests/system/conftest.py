"""Fixtures of the system tests: a PostgreSQL server to create databases on."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.system.processes import fresh_pg_database


@pytest.fixture
def pg_server() -> str:
    """LIGHTWING_TEST_PG_SERVER (set by .ci/run), or skip."""
    url = os.environ.get("LIGHTWING_TEST_PG_SERVER")
    if not url:
        pytest.skip(
            "LIGHTWING_TEST_PG_SERVER is not set: these tests start several processes on one "
            "PostgreSQL database (.ci/run sets it to a throwaway server)"
        )
    return url


@pytest.fixture
def pg_db(pg_server: str) -> Iterator[str]:
    """A new, empty PostgreSQL database for one test."""
    with fresh_pg_database(pg_server) as url:
        yield url
