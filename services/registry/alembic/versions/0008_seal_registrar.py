"""seals take effect only with a seal registrar's confirmation: one organisation may have several
submitted, one effective; existing seals stay unconfirmed (pending) until a registrar confirms them;
each signing key remembers the seal that certified it

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "seals_v2",
        sa.Column("fingerprint", sa.String(80), primary_key=True),
        sa.Column("org_id", sa.String(36), nullable=False),
        sa.Column("public_key", sa.String(64), nullable=False),
        sa.Column("proof", sa.Text, nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_by", sa.String(200), nullable=False),
        sa.Column("confirmation", sa.Text),
        sa.Column("confirmation_signature", sa.String(100)),
        sa.Column("confirmed_at", sa.DateTime(timezone=True)),
        sa.Column("revocation", sa.Text),
        sa.Column("revocation_signature", sa.String(100)),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
    )
    # What was registered before stays, unconfirmed: it opens nothing new and certifies no one
    # new until a registrar confirms it (`sanbao seal audit` lists them).
    op.execute(
        "INSERT INTO seals_v2 (fingerprint, org_id, public_key, proof, status, submitted_at, "
        "submitted_by) SELECT fingerprint, org_id, public_key, proof, 'pending', registered_at, "
        "registered_by FROM seals"
    )
    with op.batch_alter_table("signing_keys") as batch:
        batch.add_column(sa.Column("seal_fingerprint", sa.String(80)))
    op.execute(
        "UPDATE signing_keys SET seal_fingerprint = "
        "(SELECT fingerprint FROM seals WHERE seals.org_id = signing_keys.org_id)"
    )
    op.drop_table("seals")
    op.rename_table("seals_v2", "seals")
    op.create_index("ix_seals_org_id", "seals", ["org_id"])


def downgrade() -> None:
    raise NotImplementedError(
        "0008 is one-way: an organisation may now hold several seals; restore a backup instead"
    )
