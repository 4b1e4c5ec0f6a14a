"""roster imports: a summary that adds up (rows refused while validating and while applying,
rows held as identity conflicts, progress while validating, the columns and sheets left unread,
the import's township), error rows naming their sheet, and the identity conflicts held for the
county to confirm or reject (each row sealed with the data key until then)

Imports recorded before keep their counts: rows refused while validating are the rows that were
not valid, rows refused while applying those applied but neither registered, updated nor
confirmed.

Revision ID: 0017
Revises: 0016
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)
_COUNTS = ("validated_rows", "refused_validating", "refused_applying", "held_conflicts")
_ERROR_KEY = ["import_id", "sheet", "row_number", "column"]


def upgrade() -> None:
    with op.batch_alter_table("roster_imports") as batch:
        for name in _COUNTS:
            batch.add_column(sa.Column(name, sa.Integer, nullable=False, server_default="0"))
        for name in ("ignored_columns", "ignored_sheets"):
            batch.add_column(
                sa.Column(name, sa.JSON, nullable=False, server_default=sa.text("'[]'"))
            )
        batch.add_column(sa.Column("township", sa.String(40)))
    op.execute(
        "UPDATE roster_imports SET"
        " validated_rows = CASE WHEN status = 'validating' THEN 0 ELSE total_rows END,"
        " refused_validating = CASE WHEN status = 'validating' THEN 0"
        " ELSE total_rows - valid_rows END,"
        " refused_applying = applied_rows - registered - updated - confirmed"
    )
    with op.batch_alter_table("roster_imports") as batch:
        for name in (*_COUNTS, "ignored_columns", "ignored_sheets"):
            batch.alter_column(name, server_default=None)

    # Rows of several sheets share row numbers: the sheet becomes part of an error row's key
    # ("" for a CSV file, which has no sheets).
    sheet = sa.Column("sheet", sa.String(100), nullable=False, server_default="")
    _rekey_errors(sheet, _ERROR_KEY)

    op.create_table(
        "roster_conflicts",
        sa.Column("conflict_id", sa.String(36), primary_key=True),
        sa.Column("import_id", sa.String(36), nullable=False),
        sa.Column("sheet", sa.String(100), nullable=False),
        sa.Column("row_number", sa.Integer, nullable=False),
        sa.Column("person_id", sa.String(36), nullable=False),
        sa.Column("content_sealed", sa.LargeBinary, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("held_at", _TS, nullable=False),
        sa.Column("held_by", sa.String(200), nullable=False),
        sa.Column("resolved_at", _TS),
        sa.Column("resolved_by", sa.String(200)),
    )
    op.create_index(
        "ix_roster_conflicts_row",
        "roster_conflicts",
        ["import_id", "sheet", "row_number"],
        unique=True,
    )
    op.create_index("ix_roster_conflicts_status", "roster_conflicts", ["status"])
    op.create_index("ix_roster_conflicts_person_id", "roster_conflicts", ["person_id"])


def downgrade() -> None:
    op.drop_table("roster_conflicts")
    # Error rows of a second sheet that share a row number with the first's cannot all be kept
    # under the old key: the first sheet's (by name) stays.
    op.execute(
        "DELETE FROM roster_import_errors WHERE EXISTS (SELECT 1 FROM roster_import_errors AS e"
        " WHERE e.import_id = roster_import_errors.import_id"
        " AND e.row_number = roster_import_errors.row_number"
        ' AND e."column" = roster_import_errors."column"'
        " AND e.sheet < roster_import_errors.sheet)"
    )
    _rekey_errors(None, ["import_id", "row_number", "column"])
    with op.batch_alter_table("roster_imports") as batch:
        for name in (*_COUNTS, "ignored_columns", "ignored_sheets", "township"):
            batch.drop_column(name)


def _rekey_errors(sheet: sa.Column | None, key: list[str]) -> None:
    """roster_import_errors with its primary key on `key`: the sheet column added (`sheet`) or
    dropped (None)."""
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint("roster_import_errors_pkey", "roster_import_errors", type_="primary")
        if sheet is None:
            op.drop_column("roster_import_errors", "sheet")
        else:
            op.add_column("roster_import_errors", sheet)
            op.alter_column("roster_import_errors", "sheet", server_default=None)
        op.create_primary_key("roster_import_errors_pkey", "roster_import_errors", key)
        return
    # SQLite cannot change a primary key in place: the rows move to a table of the new key.
    kept = '"import_id", "row_number", "column", "reason"'
    op.create_table(
        "roster_import_errors_0017",
        sa.Column("import_id", sa.String(36), nullable=False),
        *([] if sheet is None else [sa.Column("sheet", sa.String(100), nullable=False)]),
        sa.Column("row_number", sa.Integer, nullable=False),
        sa.Column("column", sa.String(30), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint(*key),
    )
    columns, values = (kept, kept) if sheet is None else (f"{kept}, sheet", f"{kept}, ''")
    op.execute(
        f"INSERT INTO roster_import_errors_0017 ({columns})"
        f" SELECT {values} FROM roster_import_errors"
    )
    op.drop_table("roster_import_errors")
    op.rename_table("roster_import_errors_0017", "roster_import_errors")
