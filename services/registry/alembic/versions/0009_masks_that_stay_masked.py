"""masked forms that stay masked: ID numbers keep their region code and check digit only, phones
their carrier prefix only; the birth date leaves the labourers table (the year stays, the date is
inside the sealed ID number); stored events and replies are scrubbed alike; a finished roster
import no longer keeps its file

Revision ID: 0009
Revises: 0008
"""

import json

import sqlalchemy as sa
from alembic import op

from sanbao_common.privacy import remask, scrub_stored_payload

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_BATCH = 1000


def _rewrite(table, key: str, columns: list[str], change, where=None) -> None:
    """Rewrite `columns` of every row (or those `where` selects) with `change(row) -> new
    values, or None to leave the row`, a batch of updates at a time (a county's registry holds
    a few hundred thousand people). `row` has every column `table` names."""
    connection = op.get_bind()
    query = sa.select(*table.c)
    rows = connection.execute(query if where is None else query.where(where)).all()
    statement = (
        sa.update(table)
        .where(table.c[key] == sa.bindparam("_key"))
        .values({c: sa.bindparam(f"_{c}") for c in columns})
    )
    updates = []
    for row in rows:
        changed = change(row._mapping)
        if changed is not None:
            updates.append({"_key": row._mapping[key], **{f"_{c}": changed[c] for c in columns}})
    for start in range(0, len(updates), _BATCH):
        connection.execute(statement, updates[start : start + _BATCH])


def _scrubbed(column: str):
    """A change for `_rewrite`: the JSON text in `column` with birth dates and masked numbers
    as they are written today."""

    def change(row):
        before = json.loads(row[column])
        after = scrub_stored_payload(before)
        if after == before:
            return None
        return {column: json.dumps(after, ensure_ascii=False, separators=(",", ":"))}

    return change


def upgrade() -> None:
    with op.batch_alter_table("labourers") as batch:
        batch.add_column(sa.Column("birth_year", sa.Integer))
    labourers = sa.table(
        "labourers",
        sa.column("person_id", sa.String),
        sa.column("birth_date", sa.Date),
        sa.column("birth_year", sa.Integer),
        sa.column("id_masked", sa.String),
        sa.column("phone_masked", sa.String),
    )
    _rewrite(
        labourers,
        "person_id",
        ["birth_year", "id_masked", "phone_masked"],
        lambda row: {
            "birth_year": row["birth_date"].year,
            "id_masked": remask(row["id_masked"]),
            "phone_masked": remask(row["phone_masked"]),
        },
    )
    with op.batch_alter_table("labourers") as batch:
        batch.alter_column("birth_year", existing_type=sa.Integer, nullable=False)
        batch.drop_column("birth_date")

    # History keeps phones masked (ID numbers never change, so never appear in it).
    history = sa.table(
        "people_history",
        sa.column("entry_id", sa.Integer),
        sa.column("field", sa.String),
        sa.column("before", sa.JSON),
        sa.column("after", sa.JSON),
    )
    _rewrite(
        history,
        "entry_id",
        ["before", "after"],
        lambda row: {"before": remask(row["before"]), "after": remask(row["after"])},
        where=history.c.field == "phone",
    )

    outbox = sa.table("outbox", sa.column("position", sa.Integer), sa.column("body", sa.Text))
    _rewrite(outbox, "position", ["body"], _scrubbed("body"))
    replies = sa.table(
        "idempotency_keys", sa.column("key", sa.String), sa.column("response", sa.Text)
    )
    _rewrite(replies, "key", ["response"], _scrubbed("response"))

    imports = sa.table(
        "roster_imports",
        sa.column("status", sa.String),
        sa.column("content", sa.LargeBinary),
    )
    op.get_bind().execute(
        sa.update(imports).where(imports.c.status.in_(("done", "failed"))).values(content=b"")
    )


def downgrade() -> None:
    raise NotImplementedError("birth dates and masked digits are gone; restore a backup to go back")
