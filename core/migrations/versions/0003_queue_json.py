"""queue: each open request's queue row as JSON, written by SQLite into the queue indexes

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 12:50:00

The coordinators' queue page (the API's busiest read) lists open requests as JSON. SQLite built
that JSON for every row of every page read; now a VIRTUAL generated column `queue_json` holds it
and the two partial queue indexes store it (open rows only), so a page is copied out of an
index. PostgreSQL builds the JSON at read time in its own server process (a generated column
there may use only IMMUTABLE functions, and its JSON and timestamp formatting are STABLE): the
column exists there too, always NULL, so that both databases have one schema.
"""
import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

# Copies of core.models.request.QUEUE_JSON_SQLITE / QUEUE_JSON_POSTGRESQL as they were when this
# migration was written (a migration must not change when the models do);
# tests/api/test_queue_schema.py checks that they agree.
QUEUE_JSON_SQLITE = (
    "rtrim(json_object('id', id, 'resident_id', resident_id, 'status', status, "
    "'category', category, 'urgency', urgency, 'confidence', confidence, "
    "'area_id', area_id, 'team_id', team_id, 'volunteer_id', volunteer_id, 'ring', ring, "
    "'channel', channel, 'deadline', replace(deadline, ' ', 'T') || '+00:00', "
    "'created_at', replace(created_at, ' ', 'T') || '+00:00', "
    "'updated_at', replace(updated_at, ' ', 'T') || '+00:00', "
    "'summary', substr(text, 1, 140)), '}')"
)
QUEUE_JSON_POSTGRESQL = "NULL::text"
OLD_INDEXES = (
    ("ix_helprequest_open_id", ["is_open", "id", "area_id"]),
    ("ix_helprequest_open_deadline", ["is_open", "deadline", "id", "area_id"]),
)
INDEXES = (
    ("ix_helprequest_open_id", ["is_open", "id", "area_id", "deadline", "queue_json"]),
    ("ix_helprequest_open_deadline", ["is_open", "deadline", "id", "area_id", "queue_json"]),
)


def _create(indexes: tuple[tuple[str, list[str]], ...]) -> None:
    where = sa.text("is_open IS NOT NULL")
    for name, columns in indexes:
        op.create_index(name, "helprequest", columns, unique=False,
                        sqlite_where=where, postgresql_where=where)


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for name, _ in OLD_INDEXES:
        op.drop_index(name, table_name="helprequest")
    # SQLite can ADD only a VIRTUAL generated column (its indexes store the values all the same).
    op.add_column(
        "helprequest",
        sa.Column("queue_json", sa.Text(),
                  sa.Computed(QUEUE_JSON_SQLITE if sqlite else QUEUE_JSON_POSTGRESQL,
                              persisted=not sqlite),
                  nullable=True),
    )
    _create(INDEXES)


def downgrade() -> None:
    for name, _ in INDEXES:
        op.drop_index(name, table_name="helprequest")
    op.drop_column("helprequest", "queue_json")
    _create(OLD_INDEXES)
