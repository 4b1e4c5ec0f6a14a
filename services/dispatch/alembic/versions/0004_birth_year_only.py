"""candidates: the birth year only, never the date; masked ID numbers in today's form (region
code and check digit)

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

from sanbao_common.privacy import remask

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("candidates") as batch:
        batch.add_column(sa.Column("birth_year", sa.Integer))
    candidates = sa.table(
        "candidates",
        sa.column("person_id", sa.String),
        sa.column("birth_date", sa.Date),
        sa.column("birth_year", sa.Integer),
        sa.column("id_number_masked", sa.String),
    )
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(candidates.c.person_id, candidates.c.birth_date, candidates.c.id_number_masked)
    ).all()
    updates = [
        {"key": row.person_id, "year": row.birth_date.year, "masked": remask(row.id_number_masked)}
        for row in rows
    ]
    statement = (
        sa.update(candidates)
        .where(candidates.c.person_id == sa.bindparam("key"))
        .values(birth_year=sa.bindparam("year"), id_number_masked=sa.bindparam("masked"))
    )
    for start in range(0, len(updates), 1000):
        connection.execute(statement, updates[start : start + 1000])
    with op.batch_alter_table("candidates") as batch:
        batch.alter_column("birth_year", existing_type=sa.Integer, nullable=False)
        batch.drop_column("birth_date")


def downgrade() -> None:
    raise NotImplementedError("birth dates are gone from the pool; restore a backup to go back")
