"""idempotency keys: request digests keyed with the data key; the plain SHA-256 digests stored
before are overwritten (a retry across the upgrade is told to use a new key); on PostgreSQL the
tables 0012 and this one rewrote are rewritten on disk

A plain digest of a request whose other fields the stored reply shows gives back its phone or ID
number to whoever has a copy of the database and tries the candidates. PostgreSQL keeps an
updated row's old version, and a dropped column's bytes, in the table's files until the table is
rewritten: VACUUM FULL does it, so a copy of the files taken afterwards holds no clear phone,
email, TOTP secret, one-time password or plain digest. Backups and WAL archives from before the
upgrade still do: docs/access.md says what to do about them.

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

NO_DIGEST = "-"  # matches no request


def upgrade() -> None:
    keys = sa.table("idempotency_keys", sa.column("request_sha256", sa.String))
    op.get_bind().execute(sa.update(keys).values(request_sha256=NO_DIGEST))
    if op.get_bind().dialect.name == "postgresql":
        with op.get_context().autocommit_block():
            op.execute("VACUUM FULL users, directory_history, idempotency_keys")


def downgrade() -> None:
    pass
