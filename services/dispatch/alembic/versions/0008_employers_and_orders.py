"""employers, HR companies' service stations and job orders under sealed agreements

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "employers",
        sa.Column("employer_id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("credit_code", sa.String(18), nullable=False, unique=True),
        sa.Column("place_scope", sa.String(20), nullable=False),
        sa.Column("place", sa.String(100), nullable=False),
        sa.Column("industry", sa.String(32), nullable=False),
        sa.Column("registered_by_org", sa.String(36), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("registered_by", sa.String(200), nullable=False),
    )
    op.create_table(
        "service_stations",
        sa.Column("station_id", sa.String(36), primary_key=True),
        sa.Column("hr_company", sa.String(36), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("place_scope", sa.String(20), nullable=False),
        sa.Column("place", sa.String(100), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("registered_by", sa.String(200), nullable=False),
        sa.UniqueConstraint("hr_company", "name", name="uq_service_stations_hr_company_name"),
    )
    op.create_index("ix_service_stations_hr_company", "service_stations", ["hr_company"])
    op.create_table(
        "job_orders",
        sa.Column("order_id", sa.String(36), primary_key=True),
        sa.Column("agreement_id", sa.String(36), nullable=False),
        sa.Column("hr_company", sa.String(36), nullable=False),
        sa.Column(
            "employer_id", sa.String(36), sa.ForeignKey("employers.employer_id"), nullable=False
        ),
        sa.Column("station_id", sa.String(36), sa.ForeignKey("service_stations.station_id")),
        sa.Column("title", sa.String(100), nullable=False),
        sa.Column("positions", sa.String(2000), nullable=False),
        sa.Column("head_count", sa.Integer, nullable=False),
        sa.Column("wage_min_fen", sa.BigInteger, nullable=False),
        sa.Column("wage_max_fen", sa.BigInteger, nullable=False),
        sa.Column("place_scope", sa.String(20), nullable=False),
        sa.Column("place", sa.String(100), nullable=False),
        sa.Column("industry", sa.String(32), nullable=False),
        sa.Column("skills", sa.JSON, nullable=False),
        sa.Column("age_min", sa.Integer),
        sa.Column("age_max", sa.Integer),
        sa.Column("starts_on", sa.Date, nullable=False),
        sa.Column("ends_on", sa.Date),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("reason", sa.String(500)),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_by", sa.String(200), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True)),
        sa.Column("closed_by", sa.String(200)),
    )
    op.create_index("ix_job_orders_agreement_id", "job_orders", ["agreement_id"])
    op.create_index("ix_job_orders_hr_company", "job_orders", ["hr_company"])
    op.create_index("ix_job_orders_status", "job_orders", ["status"])


def downgrade() -> None:
    op.drop_table("job_orders")
    op.drop_table("service_stations")
    op.drop_table("employers")
