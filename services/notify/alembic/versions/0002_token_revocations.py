"""token revocations: the time before which a user's sign-in tokens are void, learned from
registry's user_tokens_revoked events (and the inbox that consumer needs)

Revision ID: 0002
Revises: 0001
"""

from alembic import op

from sanbao_common.messaging import schema_v1
from sanbao_common.revocations_schema import create_token_revocations

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    schema_v1.create_inbox()
    create_token_revocations()


def downgrade() -> None:
    op.drop_table("token_revocations")
    op.drop_table("inbox")
