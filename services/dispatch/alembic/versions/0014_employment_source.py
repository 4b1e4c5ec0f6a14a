"""candidates.employment_source: the placement registry wrote a person's employment status
from (its id; null: the township's record), so that the degree of organisation never counts a
placement's scope as self-arranged work away from home (docs/organisation-degree.md)

Records already in the pool keep it null until registry republishes their current state
(`sanbao events resync dispatch`), which the pool takes at the same version.

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("candidates") as batch:
        batch.add_column(sa.Column("employment_source", sa.String(60)))


def downgrade() -> None:
    with op.batch_alter_table("candidates") as batch:
        batch.drop_column("employment_source")
