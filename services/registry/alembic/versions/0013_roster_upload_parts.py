"""roster upload parts: a roster file sent in parts, each small enough for any request, sealed
with the data key until it is imported

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "roster_upload_parts",
        sa.Column("upload_id", sa.String(128), primary_key=True),
        sa.Column("part", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("uploaded_by", sa.String(200), nullable=False),
        sa.Column("content_sealed", sa.LargeBinary, nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_roster_upload_parts_uploaded_at", "roster_upload_parts", ["uploaded_at"])


def downgrade() -> None:
    op.drop_table("roster_upload_parts")
