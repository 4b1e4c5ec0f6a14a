"""the village list: the county's townships and villages by name, with the other names people
write for them, which roster rows resolve village names against and every village code given
must be one of

A county upgraded to this revision has an empty list: registering anyone is refused until a
county administrator imports it (`sanbao directory villages import FILE`; README, "Villages").

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "townships",
        sa.Column("code", sa.String(9), primary_key=True),
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("aliases", sa.JSON, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_by", sa.String(200), nullable=False),
    )
    op.create_table(
        "villages",
        sa.Column("code", sa.String(12), primary_key=True),
        sa.Column("township_code", sa.String(9), nullable=False),
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("aliases", sa.JSON, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_by", sa.String(200), nullable=False),
    )
    op.create_index("ix_villages_township_code", "villages", ["township_code"])


def downgrade() -> None:
    op.drop_table("villages")
    op.drop_table("townships")
