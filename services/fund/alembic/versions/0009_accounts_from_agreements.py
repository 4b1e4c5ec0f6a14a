"""joint accounts opened from sealed cooperation agreements: each account keeps the exact terms
its seals signed (for the accounts opened before, the terms the fund's own sealing had them sign,
amendment number included), its agreement and version, and the joint account's bank details;
sealed agreements waiting for a seal the fund has not heard of yet are held. The fund's own
preparing and re-sealing are retired: a re-sealing in progress is dropped (an amendment of the
agreement sealed with the current seals re-seals now)

Revision ID: 0009
Revises: 0008
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def _legacy_terms(row) -> dict:
    """What the retired `prepare_joint_account` / `seal_joint_account` had both seals sign."""
    terms = {
        "purpose": "open_joint_account",
        "account_id": row.account_id,
        "agreement_ref": row.agreement_ref,
        "county": row.county,
        "county_cooperative": row.county_org_id,
        "hr_company": row.hr_org_id,
        "principal_fen": int(row.principal_fen),
        "term_start": str(row.term_start)[:10],
        "term_end": str(row.term_end)[:10],
        "county_cooperative_seal": row.county_seal,
        "hr_company_seal": row.hr_seal,
    }
    if row.amendment:
        terms["amendment"] = int(row.amendment)
    return terms


def upgrade() -> None:
    with op.batch_alter_table("joint_accounts") as batch:
        batch.add_column(sa.Column("agreement_id", sa.String(36)))
        batch.add_column(
            sa.Column("agreement_version", sa.Integer, nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("bank_name", sa.String(200), nullable=False, server_default=""))
        batch.add_column(
            sa.Column("bank_account", sa.String(32), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("terms", sa.Text))
    connection = op.get_bind()
    rows = connection.execute(
        sa.text(
            "SELECT account_id, agreement_ref, county, county_org_id, hr_org_id, principal_fen, "
            "term_start, term_end, county_seal, hr_seal, amendment FROM joint_accounts"
        )
    ).all()
    for row in rows:
        connection.execute(
            sa.text("UPDATE joint_accounts SET terms = :terms WHERE account_id = :account_id"),
            {
                "terms": json.dumps(_legacy_terms(row), sort_keys=True, ensure_ascii=False),
                "account_id": row.account_id,
            },
        )
    with op.batch_alter_table("joint_accounts") as batch:
        batch.alter_column("terms", existing_type=sa.Text, nullable=False)
        batch.create_unique_constraint("uq_joint_accounts_agreement_id", ["agreement_id"])
        batch.drop_column("reseal")
        batch.drop_column("amendment")
    op.create_table(
        "held_agreements",
        sa.Column("agreement_id", sa.String(36), primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("terms", sa.Text, nullable=False),
        sa.Column("seal_signatures", sa.Text, nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("correlation_id", sa.String(200), nullable=False),
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("held_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    """Back to the fund's own sealing: an amendment number is taken back from terms that carry
    one; accounts opened from agreements keep their rows but no longer verify under it."""
    op.drop_table("held_agreements")
    with op.batch_alter_table("joint_accounts") as batch:
        batch.add_column(sa.Column("amendment", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("reseal", sa.Text))
    connection = op.get_bind()
    rows = connection.execute(sa.text("SELECT account_id, terms FROM joint_accounts")).all()
    for row in rows:
        amendment = json.loads(row.terms).get("amendment", 0)
        connection.execute(
            sa.text("UPDATE joint_accounts SET amendment = :n WHERE account_id = :account_id"),
            {"n": int(amendment), "account_id": row.account_id},
        )
    with op.batch_alter_table("joint_accounts") as batch:
        batch.drop_constraint("uq_joint_accounts_agreement_id", type_="unique")
        batch.drop_column("terms")
        batch.drop_column("bank_account")
        batch.drop_column("bank_name")
        batch.drop_column("agreement_version")
        batch.drop_column("agreement_id")
