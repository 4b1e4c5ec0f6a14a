"""token revocations: the time before which a user's sign-in tokens are void, learned from
registry's user_tokens_revoked events

Revision ID: 0011
Revises: 0010
"""

from alembic import op

from sanbao_common.revocations_schema import create_token_revocations

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_token_revocations()


def downgrade() -> None:
    op.drop_table("token_revocations")
