"""Prepared statements give what SQLAlchemy's own execution gives, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import bindparam, select
from sqlmodel import Session

from core.models import Resident, Team, Volunteer
from core.prepared import Prepared, read_row
from tests.core.dispatch.factories import make_area, make_resident, make_team, make_volunteer

AT = datetime(2026, 11, 20, 8, 30, 15, 123456, tzinfo=UTC)


@pytest.fixture
def world(session: Session) -> dict[str, object]:
    city = make_area(session, "C", "city")
    team = make_team(session, "T1", city, ["escort", "errands"], skills=["sign_language"])
    team.last_assigned_at = AT
    late = make_team(session, "T2", city, ["repair"])
    helper = make_volunteer(session, "Li", teams=[team], languages=["zh", "en"],
                            on_duty=False)
    resident = make_resident(session, "Wang", city, disability_types=["visual", "hearing"],
                             paired=helper)
    session.commit()
    return {"team": team, "late": late, "resident": resident, "helper": helper}


def _both(session: Session, statement: object, given: dict[str, object]) -> tuple[list, list]:
    dialect = session.get_bind().dialect
    ours = Prepared.compile(statement, dialect, convert=True).run(session, given)
    theirs = [tuple(row) for row in session.connection().execute(statement, given).all()]
    return [tuple(row) for row in ours], theirs


def test_rows_are_converted_as_sqlalchemy_converts_them(session: Session, world: dict) -> None:
    # JSON lists, a timezone-aware timestamp, booleans, NULLs and a constant IN list.
    statement = (
        select(Team.id, Team.categories, Team.skills, Team.last_assigned_at, Team.is_partner)
        .where(Team.code.in_(["T1", "T2"]), Team.capacity >= bindparam("least"))
        .order_by(Team.id)
    )
    ours, theirs = _both(session, statement, {"least": 1})
    assert ours == theirs
    assert ours[0][1:3] == (["escort", "errands"], ["sign_language"])
    stamp = ours[0][3]  # SQLite's are naive UTC, as the models read them
    assert (stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)) == AT
    assert ours[1][3] is None and ours[1][4] is False


def test_a_timestamp_given_per_call_is_bound_in_the_database_form(
    session: Session, world: dict
) -> None:
    statement = select(Team.code).where(Team.last_assigned_at <= bindparam("before"))
    for before, expected in ((AT, [("T1",)]), (AT - timedelta(microseconds=1), [])):
        ours, theirs = _both(session, statement, {"before": before})
        assert ours == theirs == expected


def test_rows_have_names_when_converted(session: Session, world: dict) -> None:
    statement = select(Volunteer.id, Volunteer.languages, Volunteer.on_duty)
    rows = Prepared.compile(statement, session.get_bind().dialect, convert=True).run(session, {})
    assert [(row.languages, row.on_duty) for row in rows] == [(["zh", "en"], False)]


def test_a_list_given_per_call_is_refused(session: Session) -> None:
    statement = select(Team.id).where(Team.id.in_(bindparam("ids", expanding=True)))
    with pytest.raises(ValueError, match="ids"):
        Prepared.compile(statement, session.get_bind().dialect)


def test_read_row_reads_what_the_session_would(sessions, world: dict) -> None:
    resident_id = world["resident"].id
    with sessions() as session:
        read = read_row(session, Resident, resident_id)
        assert read not in session  # read by the prepared statement, not loaded by the ORM
        loaded = session.get(Resident, resident_id)
        assert read is not loaded
        for name in Resident.__table__.columns.keys():
            assert getattr(read, name) == getattr(loaded, name), name
        # The session's own instance is returned when it holds one (its changes show).
        loaded.lang = "en"
        assert read_row(session, Resident, resident_id) is loaded
        assert read_row(session, Resident, resident_id + 1000) is None
