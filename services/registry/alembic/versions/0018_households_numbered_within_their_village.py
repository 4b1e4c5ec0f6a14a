"""households numbered within their village: the household number is unique per village, not
across the county

Townships number households 001, 002… in each village's survey, so the same number names
different households in different villages. A household was keyed by its number alone: a row
of one village naming 001 joined (and could head, and clear the registered-poor flag of)
another township's household 001. It is now keyed by (village_code, household_number); the
index on village_code alone goes, that one leading with it serves the same lookups.

The upgrade changes no row: numbers unique across the county are unique within each village.
The downgrade restores the county-wide key, and refuses (changing nothing) while some number is
used by households of more than one village: they would have to be renumbered first, which no
migration can do for the townships.

Revision ID: 0018
Revises: 0017
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)
_NEW_INDEX = "ux_households_village_number"
_OLD_INDEX = "ix_households_village_code"
_OLD_UNIQUE = "households_household_number_key"  # PostgreSQL's name for 0005's unique column


def _households(*, numbered_in_county: bool) -> sa.Table:
    """The households table with 0005's unique number (`numbered_in_county`) or without, for
    SQLite's batch rebuild; indexes are created after it."""
    return sa.Table(
        "households",
        sa.MetaData(),
        sa.Column("household_id", sa.String(36), primary_key=True),
        sa.Column("household_number", sa.String(30), nullable=False, unique=numbered_in_county),
        sa.Column("village_code", sa.String(12), nullable=False),
        sa.Column("head_person_id", sa.String(36)),
        sa.Column("poor", sa.Boolean, nullable=False),
        sa.Column("poverty_file_number", sa.String(30)),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("changed_at", _TS, nullable=False),
        sa.Column("changed_by", sa.String(200), nullable=False),
    )


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(_OLD_UNIQUE, "households", type_="unique")
        op.drop_index(_OLD_INDEX, "households")
    else:
        # SQLite keeps 0005's unique constraint unnamed inside the table: the table is rebuilt
        # (rows copied as they are) without it.
        with op.batch_alter_table(
            "households", copy_from=_households(numbered_in_county=False), recreate="always"
        ):
            pass
    op.create_index(_NEW_INDEX, "households", ["village_code", "household_number"], unique=True)


def downgrade() -> None:
    shared = op.get_bind().execute(
        sa.text(
            "SELECT household_number FROM households GROUP BY household_number"
            " HAVING COUNT(*) > 1 ORDER BY household_number"
        )
    )
    numbers = [row[0] for row in shared]
    if numbers:
        raise SystemExit(
            f"registry's downgrade below 0018 needs household numbers unique across the county: "
            f"{len(numbers)} are used in more than one village ({', '.join(numbers[:10])}"
            f"{', …' if len(numbers) > 10 else ''}); renumber those households first"
        )
    op.drop_index(_NEW_INDEX, "households")
    if op.get_bind().dialect.name == "postgresql":
        op.create_unique_constraint(_OLD_UNIQUE, "households", ["household_number"])
    else:
        with op.batch_alter_table(
            "households", copy_from=_households(numbered_in_county=True), recreate="always"
        ):
            pass
    op.create_index(_OLD_INDEX, "households", ["village_code"])
