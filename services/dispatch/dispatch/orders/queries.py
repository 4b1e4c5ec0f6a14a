"""What matching reads of job orders (`dispatch.matching`), inside the caller's connection.

Both functions give an order as a plain dict of what ranking needs:

    {"order_id": str, "agreement_id": str, "hr_company": str (org id), "head_count": int,
     "place_scope": one of dispatch_contract.vocabularies.PLACE_SCOPES,
     "industry": str (a vocabulary code: a GB/T 4754 section letter or a finer code),
     "skills": [skill codes, sorted, unique], "age_min": int | None, "age_max": int | None,
     "wage_min_fen": int, "wage_max_fen": int (per month), "starts_on": datetime.date,
     "status": "open" | "filled" | "closed" | "cancelled"}

Only open orders are matched; `order_for_matching` returns an order whatever its status, so the
caller can say why it will not match an ended one.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.engine import Connection

from dispatch.adapters.order_tables import job_orders
from dispatch_contract.vocabularies import ORDER_OPEN

_COLUMNS = (
    "order_id", "agreement_id", "hr_company", "head_count", "place_scope", "industry", "skills",
    "age_min", "age_max", "wage_min_fen", "wage_max_fen", "starts_on", "status",
)  # fmt: skip
_SELECT = select(*[job_orders.c[name] for name in _COLUMNS])


def _as_dict(row) -> dict:
    order = dict(row._mapping)
    order["skills"] = sorted(order["skills"] or [])
    return order


def order_for_matching(connection: Connection, order_id: str) -> dict | None:
    """The order (any status), or None if there is no such order."""
    row = connection.execute(_SELECT.where(job_orders.c.order_id == order_id)).first()
    return _as_dict(row) if row is not None else None


def open_orders_for_matching(connection: Connection) -> list[dict]:
    """Every open order, oldest start first (then by id: the same order every time)."""
    rows = connection.execute(
        _SELECT.where(job_orders.c.status == ORDER_OPEN).order_by(
            job_orders.c.starts_on, job_orders.c.order_id
        )
    )
    return [_as_dict(row) for row in rows]
