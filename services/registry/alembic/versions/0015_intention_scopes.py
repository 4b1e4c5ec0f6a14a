"""intention scopes: labourers.intention_scope (how far a person means to go to work: 县内, 州内,
省内, 省外, or 无), derived for the people registered before from the intended regions stored

A person's stored `intention_regions` give the scope where the gazetteer knows what they name
(`registry_contract.places.scope_of_regions`, from the person's own county, the first 6 digits
of their village code): 广东省 -> outside_province, 蒙自市 -> in_prefecture, 省外 ->
outside_province; the farthest when several are named. Where nothing known is named (a place
the gazetteer does not know, or 无 beside a place), the scope stays null, "not answered", as for
anyone whose regions are empty: nothing is guessed. The regions themselves are left as they are.

Regions that only say "not going" (无, 不外出) are NOT turned into the scope "none" here, though
that is what they mean: "none" makes a person not willing to go, which registry would then
count while dispatch, which learns willingness from events and gets none from a migration,
kept the person in its pool. Left null, the person stays willing in both until their next
change (a roster row, an update), which sets the scope and tells dispatch in the same event.
No event is republished by this migration, so nothing another service knows changes here.

Downgrade drops the column (the regions, which it was derived from, are still there).

Revision ID: 0015
Revises: 0014
"""

import json

import sqlalchemy as sa
from alembic import op

from registry_contract.places import scope_of_regions
from registry_contract.vocabularies import NO_INTENTION

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

_BATCH = 1000


def upgrade() -> None:
    with op.batch_alter_table("labourers") as batch:
        batch.add_column(sa.Column("intention_scope", sa.String(20)))
    labourers = sa.table(
        "labourers",
        sa.column("person_id", sa.String),
        sa.column("village_code", sa.String),
        sa.column("intention_regions", sa.Text),
        sa.column("intention_scope", sa.String),
    )
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(labourers.c.person_id, labourers.c.village_code, labourers.c.intention_regions)
    )
    updates = []
    for person_id, village_code, regions in rows:
        items = json.loads(regions) if isinstance(regions, str) else regions
        scope = scope_of_regions(items or [], village_code[:6])
        if scope not in (None, NO_INTENTION):  # see the docstring: willingness unchanged
            updates.append({"_key": person_id, "_scope": scope})
    statement = (
        sa.update(labourers)
        .where(labourers.c.person_id == sa.bindparam("_key"))
        .values(intention_scope=sa.bindparam("_scope"))
    )
    for start in range(0, len(updates), _BATCH):
        connection.execute(statement, updates[start : start + _BATCH])


def downgrade() -> None:
    with op.batch_alter_table("labourers") as batch:
        batch.drop_column("intention_scope")
