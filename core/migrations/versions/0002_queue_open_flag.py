"""queue: is_open (computed from status) and partial indexes of open requests per sort

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 09:40:00

The coordinators' queue lists open requests (a few per cent of all stored ones) newest, oldest
or by deadline, for everyone or for a subtree of areas. `is_open` is computed by the database from
`status` (so no writer has to maintain it) and the partial indexes hold open rows only, one per
sort order, so a queue page is an index walk instead of a sort.
"""
import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

# A copy of core.models.request.OPEN_FLAG_SQL as it was when this migration was written: a
# migration must not change when the models do. alembic check does not compare generated
# expressions, so tests/api/test_queue_schema.py checks that the two agree.
OPEN_FLAG_SQL = (
    "CASE WHEN status = 'accepted' OR status = 'classified' OR status = 'in_progress' "
    "OR status = 'needs_clarification' OR status = 'new' OR status = 'offered' "
    "OR status = 'unassigned' THEN 1 ELSE NULL END"
)
INDEXES = (
    ("ix_helprequest_open_id", ["is_open", "id", "area_id"]),
    ("ix_helprequest_open_deadline", ["is_open", "deadline", "id", "area_id"]),
)


def upgrade() -> None:
    # PostgreSQL can index only a STORED generated column; SQLite can ADD only a VIRTUAL one
    # (its indexes store the computed values either way).
    stored = op.get_bind().dialect.name != "sqlite"
    op.add_column(
        "helprequest",
        sa.Column("is_open", sa.Integer(), sa.Computed(OPEN_FLAG_SQL, persisted=stored),
                  nullable=True),
    )
    where = sa.text("is_open IS NOT NULL")
    for name, columns in INDEXES:
        op.create_index(name, "helprequest", columns, unique=False,
                        sqlite_where=where, postgresql_where=where)


def downgrade() -> None:
    for name, _ in reversed(INDEXES):
        op.drop_index(name, table_name="helprequest")
    op.drop_column("helprequest", "is_open")
