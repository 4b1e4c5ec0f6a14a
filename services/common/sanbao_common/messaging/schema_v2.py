"""DDL of the second change to the messaging tables, for services' Alembic migrations: command
idempotency keys bound to the caller who chose them (`caller`, the actor of the token that sent
the command), so that nobody else who learns a key is answered with its stored reply.

Frozen like `schema_v1`: a later change is `schema_v3`, never an edit here.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# The caller of the keys stored before keys were bound: no token's actor has this form (actors
# are `user:<name>`, `system:<service>` or `anonymous`), so such a key answers nobody again; it
# ages out with the idempotency retention (30 days by default).
UNBOUND_CALLER = "unbound:stored-before-callers-were-bound"


def bind_idempotency_keys_to_callers() -> None:
    op.add_column("idempotency_keys", sa.Column("caller", sa.String(200), nullable=True))
    keys = sa.table("idempotency_keys", sa.column("caller", sa.String))
    op.get_bind().execute(sa.update(keys).values(caller=UNBOUND_CALLER))
    with op.batch_alter_table("idempotency_keys") as batch:
        batch.alter_column("caller", existing_type=sa.String(200), nullable=False)


def unbind_idempotency_keys() -> None:
    with op.batch_alter_table("idempotency_keys") as batch:
        batch.drop_column("caller")
