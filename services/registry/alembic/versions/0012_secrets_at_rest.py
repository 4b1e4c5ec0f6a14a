"""secrets at rest: TOTP secrets and staff contact details sealed; idempotency keys bound to their caller; no one-time password in a stored reply

Revision ID: 0012
Revises: 0011
"""

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
