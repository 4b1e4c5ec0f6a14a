"""idempotency keys bound to their caller: the same key from another caller is refused, never
answered with the stored reply; keys stored before are bound to no caller, so none answers again

Revision ID: 0008
Revises: 0007
"""

from sanbao_common.messaging import schema_v2

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    schema_v2.bind_idempotency_keys_to_callers()


def downgrade() -> None:
    schema_v2.unbind_idempotency_keys()
