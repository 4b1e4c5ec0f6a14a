"""vocabularies: the county's industries (the GB/T 4754-2017 sections and a finer list of
divisions under them) and skills, each term with the other words people write for it, seeded
with version 1 of each (`registry_contract.industries_and_skills`: the defaults every county
starts from, which dispatch's migration 0010 seeds as its copy of version 1)

Labourer events name the codes of people's skills and intended industries from now on; people
registered before get theirs with their next change, or at once with `sanbao events resync
dispatch` (README, "Vocabularies").

Revision ID: 0020
Revises: 0019
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from registry_contract.industries_and_skills import VOCABULARY_KINDS, default_terms

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

SEEDED_BY = "system:migration-0020"


def upgrade() -> None:
    vocabularies = op.create_table(
        "vocabularies",
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_by", sa.String(200), nullable=False),
    )
    terms = op.create_table(
        "vocabulary_terms",
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("code", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("parent", sa.String(1)),
        sa.Column("aliases", sa.JSON, nullable=False),
        sa.Column("retired", sa.Boolean, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_by", sa.String(200), nullable=False),
    )
    stamp = {"version": 1, "changed_at": datetime.now(UTC), "changed_by": SEEDED_BY}
    op.bulk_insert(vocabularies, [dict(stamp, kind=kind) for kind in VOCABULARY_KINDS])
    op.bulk_insert(
        terms,
        [
            dict(term, **stamp, kind=kind)
            for kind in VOCABULARY_KINDS
            for term in default_terms(kind)
        ],
    )


def downgrade() -> None:
    op.drop_table("vocabulary_terms")
    op.drop_table("vocabularies")
