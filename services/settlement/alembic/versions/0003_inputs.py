"""inputs: settlement publishes events and takes commands (the kit's outbox and idempotency
keys), and keeps what it settles from: every sealed agreement version, each placement's latest
state, the directory's organisations, and the inputs it refused

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

from sanbao_common.messaging import schema_v1, schema_v2

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_MOMENT = sa.DateTime(timezone=True)


def upgrade() -> None:
    schema_v1.create_outbox()
    schema_v1.create_idempotency_keys()
    schema_v2.bind_idempotency_keys_to_callers()
    op.create_table(
        "agreement_versions",
        sa.Column("agreement_id", sa.String(36), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("effective_from", sa.Date, nullable=False),
        sa.Column("county_cooperative", sa.String(36), nullable=False),
        sa.Column("hr_company", sa.String(36), nullable=False),
        sa.Column("terms", sa.Text, nullable=False),
        sa.Column("received_at", _MOMENT, nullable=False),
        sa.PrimaryKeyConstraint("agreement_id", "version", name="pk_agreement_versions"),
    )
    op.create_index("ix_agreement_versions_hr_company", "agreement_versions", ["hr_company"])
    _create_placements()
    op.create_table(
        "organisations",
        sa.Column("org_id", sa.String(36), primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("division_code", sa.String(12)),
        sa.Column("parent_id", sa.String(36)),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_index("ix_organisations_kind_division", "organisations", ["kind", "division_code"])
    op.create_table(
        "refused_inputs",
        sa.Column("event_id", sa.String(36), primary_key=True),
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column("record_id", sa.String(64)),
        sa.Column("version", sa.Integer),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("refused_at", _MOMENT, nullable=False),
    )


def _create_placements() -> None:
    op.create_table(
        "placements",
        sa.Column("placement_id", sa.String(36), primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("agreement_id", sa.String(36), nullable=False),
        sa.Column("agreement_version", sa.Integer, nullable=False),
        sa.Column("hr_company", sa.String(36), nullable=False),
        sa.Column("person_id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("id_number_masked", sa.String(18), nullable=False),
        sa.Column("village_code", sa.String(12), nullable=False),
        sa.Column("township_code", sa.String(9), nullable=False),
        sa.Column("agent_id", sa.String(36)),
        sa.Column("poor", sa.Boolean, nullable=False),
        sa.Column("starts_on", sa.Date, nullable=False),
        sa.Column("ended_on", sa.Date),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("follow_up_months", sa.String(40), nullable=False),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("received_at", _MOMENT, nullable=False),
        sa.Column("changed_at", _MOMENT, nullable=False),
    )
    for column in ("agreement_id", "hr_company", "person_id", "village_code", "agent_id"):
        op.create_index(f"ix_placements_{column}", "placements", [column])


def downgrade() -> None:
    for table in ("refused_inputs", "organisations", "placements", "agreement_versions"):
        op.drop_table(table)
    op.drop_table("idempotency_keys")
    op.drop_table("outbox")
