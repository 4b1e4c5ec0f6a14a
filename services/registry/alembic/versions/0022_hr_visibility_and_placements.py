"""hr visibility and placements: what registry learns from dispatch's batch and placement events
(issue 17). `company_records` keeps the newest version applied of each batch and placement, with
its HR company and whether it is open; `company_people` the people an open one lets that company's
HR operators see unmasked. `placement_employment` keeps, per placement, what a person's four
clears said before it (set back when it ends); `labourers.employment_source` names the placement
the employment aspect comes from (null: the township's own record).

Revision ID: 0022
Revises: 0021
"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("labourers", sa.Column("employment_source", sa.String(60)))
    op.create_table(
        "company_records",
        sa.Column("record_kind", sa.String(10), primary_key=True),
        sa.Column("record_id", sa.String(36), primary_key=True),
        sa.Column("hr_company", sa.String(36), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("open", sa.Boolean, nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "company_people",
        sa.Column("record_kind", sa.String(10), primary_key=True),
        sa.Column("record_id", sa.String(36), primary_key=True),
        sa.Column("person_id", sa.String(36), primary_key=True),
        sa.Column("hr_company", sa.String(36), nullable=False),
    )
    op.create_index(
        "ix_company_people_person_company", "company_people", ["person_id", "hr_company"]
    )
    op.create_table(
        "placement_employment",
        sa.Column("placement_id", sa.String(36), primary_key=True),
        sa.Column("person_id", sa.String(36), nullable=False, index=True),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("before_status", sa.String(20)),
        sa.Column("before_place", sa.String(100)),
        sa.Column("before_source", sa.String(60)),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("placement_employment")
    op.drop_index("ix_company_people_person_company", table_name="company_people")
    op.drop_table("company_people")
    op.drop_table("company_records")
    op.drop_column("labourers", "employment_source")
