"""dispatch's tables of employers, HR companies' service stations and job orders, on the
service's one metadata (migration 0008 creates them).

Codes (`industry`, `skills`) are the county's vocabulary codes (`dispatch.vocabulary`), so that
matching compares codes, not words. Wages are integer fen per month. An order's `hr_company` is
its agreement's, copied when it opens (an agreement's parties never change)."""

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Table,
    UniqueConstraint,
)

from dispatch.adapters.metadata import metadata

employers = Table(
    "employers",
    metadata,
    Column("employer_id", String(36), primary_key=True),
    Column("name", String(100), nullable=False),
    # One employer per credit code (统一社会信用代码), whoever registered it first.
    Column("credit_code", String(18), nullable=False, unique=True),
    Column("place_scope", String(20), nullable=False),
    Column("place", String(100), nullable=False),
    Column("industry", String(32), nullable=False),
    # The organisation whose person registered it (an HR company, or the county's).
    Column("registered_by_org", String(36), nullable=False),
    Column("version", Integer, nullable=False),
    Column("registered_at", DateTime(timezone=True), nullable=False),
    Column("registered_by", String(200), nullable=False),
)

service_stations = Table(
    "service_stations",
    metadata,
    Column("station_id", String(36), primary_key=True),
    Column("hr_company", String(36), nullable=False, index=True),
    Column("name", String(100), nullable=False),
    Column("place_scope", String(20), nullable=False),
    Column("place", String(100), nullable=False),
    Column("version", Integer, nullable=False),
    Column("registered_at", DateTime(timezone=True), nullable=False),
    Column("registered_by", String(200), nullable=False),
    UniqueConstraint("hr_company", "name", name="uq_service_stations_hr_company_name"),
)

job_orders = Table(
    "job_orders",
    metadata,
    Column("order_id", String(36), primary_key=True),
    Column("agreement_id", String(36), nullable=False, index=True),
    Column("hr_company", String(36), nullable=False, index=True),
    Column("employer_id", String(36), ForeignKey("employers.employer_id"), nullable=False),
    Column("station_id", String(36), ForeignKey("service_stations.station_id")),
    Column("title", String(100), nullable=False),
    Column("positions", String(2000), nullable=False),
    Column("head_count", Integer, nullable=False),
    Column("wage_min_fen", BigInteger, nullable=False),
    Column("wage_max_fen", BigInteger, nullable=False),
    Column("place_scope", String(20), nullable=False),
    Column("place", String(100), nullable=False),
    Column("industry", String(32), nullable=False),
    Column("skills", JSON, nullable=False),  # sorted unique skill codes
    Column("age_min", Integer),
    Column("age_max", Integer),
    Column("starts_on", Date, nullable=False),
    Column("ends_on", Date),
    Column("status", String(10), nullable=False, index=True),  # open | filled | closed | cancelled
    Column("reason", String(500)),
    Column("version", Integer, nullable=False),
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("opened_by", String(200), nullable=False),
    Column("closed_at", DateTime(timezone=True)),
    Column("closed_by", String(200)),
)
