"""vocabulary copy: registry's industries and skills as dispatch holds them (from
`vocabulary_changed`), seeded with version 1 of each — the defaults registry's migration 0020
seeds as its version 1 (`registry_contract.industries_and_skills`), so a new county's orders can
name codes before registry first publishes a change

Revision ID: 0010
Revises: 0009
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from registry_contract.industries_and_skills import VOCABULARY_KINDS, default_terms

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    versions = op.create_table(
        "vocabulary_versions",
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    terms = op.create_table(
        "vocabulary_terms",
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("code", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("parent", sa.String(1)),
        sa.Column("aliases", sa.JSON, nullable=False),
        sa.Column("retired", sa.Boolean, nullable=False),
    )
    now = datetime.now(UTC)
    op.bulk_insert(
        versions, [{"kind": k, "version": 1, "updated_at": now} for k in VOCABULARY_KINDS]
    )
    op.bulk_insert(
        terms, [dict(term, kind=kind) for kind in VOCABULARY_KINDS for term in default_terms(kind)]
    )


def downgrade() -> None:
    op.drop_table("vocabulary_terms")
    op.drop_table("vocabulary_versions")
