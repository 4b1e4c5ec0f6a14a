"""seals the fund relies on, as registry relays them with their registrar's confirmation; which
seal certified each signatory; re-sealing of an account's terms after a party changed its seal

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "seals",
        sa.Column("fingerprint", sa.String(80), primary_key=True),
        sa.Column("org_id", sa.String(36), nullable=False, index=True),
        sa.Column("org_kind", sa.String(20), nullable=False),
        sa.Column("public_key", sa.String(64), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("confirmation", sa.Text, nullable=False),
        sa.Column("confirmation_signature", sa.String(100), nullable=False),
        sa.Column("revocation", sa.Text),
        sa.Column("revocation_signature", sa.String(100)),
    )
    with op.batch_alter_table("signatories") as batch:
        batch.add_column(sa.Column("seal_fingerprint", sa.String(80)))
    with op.batch_alter_table("joint_accounts") as batch:
        batch.add_column(sa.Column("amendment", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("reseal", sa.Text))


def downgrade() -> None:
    with op.batch_alter_table("joint_accounts") as batch:
        batch.drop_column("reseal")
        batch.drop_column("amendment")
    with op.batch_alter_table("signatories") as batch:
        batch.drop_column("seal_fingerprint")
    op.drop_table("seals")
