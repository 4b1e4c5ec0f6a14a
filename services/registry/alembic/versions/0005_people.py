"""people: households, the four clears, history, roster imports; ID numbers and phones sealed

The skeleton's labourers kept ID numbers and phones in plain text. This revision rebuilds the
table with them sealed under the county's data key (registry.DATA_KEY_FILE) and found by a keyed
hash; existing rows are carried over, so a county with people registered needs its key file in
place before migrating (make run creates it).

Revision ID: 0005
Revises: 0004
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import context, op

from sanbao_common.crypto import DataKey
from sanbao_common.privacy import mask_id_number, mask_phone

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def _data_key() -> DataKey:
    path = context.config.attributes.get("settings", {}).get("DATA_KEY_FILE")
    if not path:
        raise SystemExit(
            "registry migration 0005 seals the ID numbers already registered and needs the "
            "county's data key: set registry.DATA_KEY_FILE (make run creates the file)"
        )
    return DataKey.load(path)


def upgrade() -> None:
    connection = op.get_bind()
    old = sa.table(
        "labourers",
        *(sa.column(name) for name in (
            "person_id", "name", "id_number", "sex", "phone", "village_code", "registered_by",
            "version",
        )),
        sa.column("birth_date", sa.Date),
        sa.column("registered_at", _TS),
    )  # fmt: skip
    rows = [dict(row._mapping) for row in connection.execute(sa.select(old))]
    op.drop_table("labourers")

    op.create_table(
        "households",
        sa.Column("household_id", sa.String(36), primary_key=True),
        sa.Column("household_number", sa.String(30), nullable=False, unique=True),
        sa.Column("village_code", sa.String(12), nullable=False, index=True),
        sa.Column("head_person_id", sa.String(36)),
        sa.Column("poor", sa.Boolean, nullable=False),
        sa.Column("poverty_file_number", sa.String(30)),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("changed_at", _TS, nullable=False),
        sa.Column("changed_by", sa.String(200), nullable=False),
    )
    labourers = op.create_table(
        "labourers",
        sa.Column("person_id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("id_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("id_sealed", sa.String(120), nullable=False),
        sa.Column("id_masked", sa.String(18), nullable=False),
        sa.Column("sex", sa.String(6), nullable=False),
        sa.Column("birth_date", sa.Date, nullable=False),
        sa.Column("phone_sealed", sa.String(120)),
        sa.Column("phone_masked", sa.String(11)),
        sa.Column("village_code", sa.String(12), nullable=False, index=True),
        sa.Column("village_group", sa.String(20), index=True),
        sa.Column("household_id", sa.String(36), index=True),
        sa.Column("relation_to_head", sa.String(10)),
        sa.Column("agent_id", sa.String(36), index=True),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("merged_into", sa.String(36)),
        sa.Column("employment_status", sa.String(20), index=True),
        sa.Column("employment_place", sa.String(100)),
        sa.Column("employment_at", _TS),
        sa.Column("employment_by", sa.String(200)),
        sa.Column("skills", sa.JSON, nullable=False),
        sa.Column("skills_at", _TS),
        sa.Column("skills_by", sa.String(200)),
        sa.Column("intention_regions", sa.JSON, nullable=False),
        sa.Column("intention_industries", sa.JSON, nullable=False),
        sa.Column("expected_wage_fen", sa.BigInteger),
        sa.Column("earliest_start", sa.Date),
        sa.Column("intention_at", _TS),
        sa.Column("intention_by", sa.String(200)),
        sa.Column("training_intention", sa.JSON, nullable=False),
        sa.Column("training_at", _TS),
        sa.Column("training_by", sa.String(200)),
        sa.Column("confirmed_at", _TS, nullable=False, index=True),
        sa.Column("confirmed_by", sa.String(200), nullable=False),
        sa.Column("registered_at", _TS, nullable=False),
        sa.Column("registered_by", sa.String(200), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_table(
        "people_history",
        sa.Column("entry_id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
        sa.Column("record_kind", sa.String(10), nullable=False),
        sa.Column("record_id", sa.String(36), nullable=False),
        sa.Column("field", sa.String(30), nullable=False),
        sa.Column("before", sa.JSON),
        sa.Column("after", sa.JSON),
        sa.Column("changed_at", _TS, nullable=False),
        sa.Column("changed_by", sa.String(200), nullable=False),
        sa.Column("source", sa.String(60), nullable=False),
    )
    op.create_index("ix_people_history_record", "people_history", ["record_kind", "record_id"])
    op.create_table(
        "roster_imports",
        sa.Column("import_id", sa.String(36), primary_key=True),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
        sa.Column("content_sha256", sa.String(64), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("total_rows", sa.Integer, nullable=False),
        sa.Column("valid_rows", sa.Integer, nullable=False),
        sa.Column("applied_rows", sa.Integer, nullable=False),
        sa.Column("registered", sa.Integer, nullable=False),
        sa.Column("updated", sa.Integer, nullable=False),
        sa.Column("confirmed", sa.Integer, nullable=False),
        sa.Column("failure", sa.Text),
        sa.Column("started_at", _TS, nullable=False),
        sa.Column("finished_at", _TS),
        sa.Column("started_by", sa.String(200), nullable=False),
        sa.Column("scope", sa.String(20), nullable=False),
    )
    op.create_table(
        "roster_import_errors",
        sa.Column("import_id", sa.String(36), primary_key=True),
        sa.Column("row_number", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("column", sa.String(30), primary_key=True),
        sa.Column("reason", sa.Text, nullable=False),
    )

    if not rows:
        return
    key, now = _data_key(), datetime.now(UTC)
    op.bulk_insert(
        labourers,
        [
            {
                "person_id": row["person_id"],
                "name": row["name"],
                "id_hash": key.lookup_hash(row["id_number"]),
                "id_sealed": key.encrypt(row["id_number"]),
                "id_masked": mask_id_number(row["id_number"]),
                "sex": row["sex"],
                "birth_date": row["birth_date"],
                "phone_sealed": key.encrypt(row["phone"]) if row["phone"] else None,
                "phone_masked": mask_phone(row["phone"]) if row["phone"] else None,
                "village_code": row["village_code"],
                "status": "active",
                "skills": [],
                "intention_regions": [],
                "intention_industries": [],
                "training_intention": [],
                "confirmed_at": row["registered_at"] or now,
                "confirmed_by": row["registered_by"],
                "registered_at": row["registered_at"],
                "registered_by": row["registered_by"],
                "version": row["version"],
            }
            for row in rows
        ],
    )


def downgrade() -> None:
    raise NotImplementedError("ID numbers are sealed from 0005 on; restore a backup to go back")
