"""the directory: organisations, village groups, users, seals, signing keys, and their history

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_POSITION = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "organisations",
        sa.Column("org_id", sa.String(36), primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("division_code", sa.String(12)),
        sa.Column("credit_code", sa.String(18)),
        sa.Column("parent_id", sa.String(36)),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_by", sa.String(200), nullable=False),
    )
    active = sa.text("active")
    op.create_index(
        "ux_organisations_active_code", "organisations", ["kind", "division_code"],
        unique=True, sqlite_where=active, postgresql_where=active,
    )  # fmt: skip
    op.create_index(
        "ux_organisations_active_credit_code", "organisations", ["credit_code"],
        unique=True, sqlite_where=active, postgresql_where=active,
    )  # fmt: skip
    op.create_table(
        "directory_history",
        sa.Column("entry_id", _POSITION, primary_key=True, autoincrement=True),
        sa.Column("record_kind", sa.String(20), nullable=False),
        sa.Column("record_id", sa.String(36), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("reason", sa.String(500)),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by", sa.String(200), nullable=False),
    )
    op.create_index("ix_directory_history_record_id", "directory_history", ["record_id"])
    op.create_table(
        "village_groups",
        sa.Column("group_code", sa.String(15), primary_key=True),
        sa.Column("village_org_id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
    )
    op.create_index("ix_village_groups_village_org_id", "village_groups", ["village_org_id"])
    op.create_table(
        "users",
        sa.Column("user_id", sa.String(36), primary_key=True),
        sa.Column("username", sa.String(32), nullable=False, unique=True),
        sa.Column("display_name", sa.String(100), nullable=False),
        sa.Column("org_id", sa.String(36), nullable=False),
        sa.Column("roles", sa.String(200), nullable=False),
        sa.Column("village_group", sa.String(15)),
        sa.Column("phone", sa.String(11)),
        sa.Column("email", sa.String(200)),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("must_change_password", sa.Boolean, nullable=False),
        sa.Column("totp_secret", sa.String(64)),
        sa.Column("totp_pending", sa.String(64)),
        sa.Column("failed_logins", sa.Integer, nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True)),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_by", sa.String(200), nullable=False),
    )
    op.create_index("ix_users_org_id", "users", ["org_id"])
    op.create_table(
        "seals",
        sa.Column("org_id", sa.String(36), primary_key=True),
        sa.Column("fingerprint", sa.String(80), nullable=False, unique=True),
        sa.Column("public_key", sa.String(64), nullable=False),
        sa.Column("proof", sa.Text, nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("registered_by", sa.String(200), nullable=False),
    )
    op.create_table(
        "signing_keys",
        sa.Column("fingerprint", sa.String(80), primary_key=True),
        sa.Column("org_id", sa.String(36), nullable=False),
        sa.Column("user_id", sa.String(36), nullable=False),
        sa.Column("public_key", sa.String(64), nullable=False),
        sa.Column("limit_fen", sa.BigInteger),
        sa.Column("certificate", sa.Text, nullable=False),
        sa.Column("enrolled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("enrolled_by", sa.String(200), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
        sa.Column("revocation", sa.Text),
    )
    op.create_index("ix_signing_keys_org_id", "signing_keys", ["org_id"])
    op.create_index("ix_signing_keys_user_id", "signing_keys", ["user_id"])


def downgrade() -> None:
    for table in ("signing_keys", "seals", "users", "village_groups", "directory_history",
                  "organisations"):  # fmt: skip
        op.drop_table(table)
