"""held identity conflicts bound to the person's version, imports to the rows they validated

- `roster_conflicts.person_version`: the stored person's version when the row was held; a
  confirm is refused once the person has changed since. Conflicts held before take the
  person's version as it is now (what the county is shown), or 0 for a record no longer there.
  A conflict may also end `superseded` (closed by the decision on another row for the same
  person); the downgrade calls those `rejected`, which is what they are to the older code.
- `roster_imports.valid_refs`: the rows found valid when the validation was recorded, as runs
  of consecutive rows; a resumed import applies exactly those. Null for imports recorded
  before: one of those still applying resumes as it did (the rows valid now, from its position).

Revision ID: 0019
Revises: 0018
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("roster_conflicts") as batch:
        batch.add_column(sa.Column("person_version", sa.Integer))
    op.execute(
        "UPDATE roster_conflicts SET person_version = COALESCE((SELECT labourers.version"
        " FROM labourers WHERE labourers.person_id = roster_conflicts.person_id), 0)"
    )
    with op.batch_alter_table("roster_conflicts") as batch:
        batch.alter_column("person_version", existing_type=sa.Integer, nullable=False)
    with op.batch_alter_table("roster_imports") as batch:
        batch.add_column(sa.Column("valid_refs", sa.JSON))


def downgrade() -> None:
    op.execute("UPDATE roster_conflicts SET status = 'rejected' WHERE status = 'superseded'")
    with op.batch_alter_table("roster_conflicts") as batch:
        batch.drop_column("person_version")
    with op.batch_alter_table("roster_imports") as batch:
        batch.drop_column("valid_refs")
