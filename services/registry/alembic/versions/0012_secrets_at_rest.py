"""secrets at rest: TOTP secrets and staff contact details sealed; idempotency keys bound to
their caller; no one-time password in a stored reply

Also: staff phones and emails kept masked in the directory's history, and the sign-in attempts
table (the per-name rate limit).

Revision ID: 0012
Revises: 0011
"""

import json

import sqlalchemy as sa
from alembic import context, op

from sanbao_common.crypto import DataKey
from sanbao_common.messaging import schema_v2
from sanbao_common.privacy import mask_phone

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_BATCH = 1000
# What a retry of create_user / reset_user_password answers from now on (the directory's
# entrypoints write the same), in place of the one-time password stored before.
_SHOWN_ONCE = {
    "password_shown": False,
    "message": (
        "the one-time password was shown once, in the first reply; reset the password again "
        "(sanbao user reset-password) to give the user a new one / 一次性密码仅在首次回复中显示，"
        "如需新密码请再次重置（sanbao user reset-password）"
    ),
}
_SEALED = {
    "phone": "phone_sealed",
    "email": "email_sealed",
    "totp_secret": "totp_sealed",
    "totp_pending": "totp_pending_sealed",
}


def _data_key() -> DataKey:
    path = context.config.attributes.get("settings", {}).get("DATA_KEY_FILE")
    if not path:
        raise SystemExit(
            "registry migration 0012 seals the staff phones, emails and TOTP secrets already "
            "stored and needs the county's data key: set registry.DATA_KEY_FILE"
        )
    return DataKey.load(path)


def _masked_email(email):
    if not email:
        return None
    name, _, domain = email.partition("@")
    return f"{name[:1]}***@{domain}"


def _update_each(table, key: str, updates: list[dict]) -> None:
    """Apply `updates` (each `{"_key": ..., column: value}`) a batch at a time."""
    if not updates:
        return
    columns = [name for name in updates[0] if name != "_key"]
    statement = (
        sa.update(table)
        .where(table.c[key] == sa.bindparam("_key"))
        .values({c: sa.bindparam(f"_{c}") for c in columns})
    )
    rows = [{"_key": u["_key"], **{f"_{c}": u[c] for c in columns}} for u in updates]
    for start in range(0, len(rows), _BATCH):
        op.get_bind().execute(statement, rows[start : start + _BATCH])


def _withhold_one_time_passwords() -> None:
    replies = sa.table(
        "idempotency_keys",
        sa.column("key", sa.String),
        sa.column("method", sa.String),
        sa.column("response", sa.Text),
    )
    rows = op.get_bind().execute(
        sa.select(replies.c.key, replies.c.response).where(
            replies.c.method.in_(("create_user", "reset_user_password"))
        )
    )
    updates = []
    for key, response in rows:
        reply = json.loads(response)
        if isinstance(reply, dict) and "one_time_password" in reply:
            reply.pop("one_time_password")
            reply.update(_SHOWN_ONCE)
            updates.append({"_key": key, "response": json.dumps(reply, ensure_ascii=False)})
    _update_each(replies, "key", updates)


def _seal_users() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("phone_sealed", sa.String(120)))
        batch.add_column(sa.Column("email_sealed", sa.Text))
        batch.add_column(sa.Column("totp_sealed", sa.String(120)))
        batch.add_column(sa.Column("totp_pending_sealed", sa.String(120)))
    users = sa.table(
        "users",
        sa.column("user_id", sa.String),
        *(sa.column(name, sa.String) for pair in _SEALED.items() for name in pair),
    )
    rows = op.get_bind().execute(sa.select(users)).mappings().all()
    clear = [row for row in rows if any(row[name] for name in _SEALED)]
    if clear:
        key = _data_key()
        _update_each(
            users,
            "user_id",
            [
                {"_key": row["user_id"]}
                | {
                    sealed: key.encrypt(row[name]) if row[name] else None
                    for name, sealed in _SEALED.items()
                }
                for row in clear
            ],
        )
    # Emptied before they are dropped: PostgreSQL's DROP COLUMN leaves the bytes in every row
    # (0014 then rewrites the table, so that no dead row keeps them either).
    op.get_bind().execute(sa.update(users).values({name: None for name in _SEALED}))
    with op.batch_alter_table("users") as batch:
        for name in _SEALED:
            batch.drop_column(name)


def _mask_user_history() -> None:
    history = sa.table(
        "directory_history",
        sa.column("entry_id", sa.Integer),
        sa.column("record_kind", sa.String),
        sa.column("state", sa.Text),
    )
    rows = op.get_bind().execute(
        sa.select(history.c.entry_id, history.c.state).where(history.c.record_kind == "user")
    )
    updates = []
    for entry_id, text in rows:
        state = json.loads(text)
        if "phone" not in state and "email" not in state:
            continue
        phone, email = state.pop("phone", None), state.pop("email", None)
        state["phone_masked"] = mask_phone(phone) if phone else None
        state["email_masked"] = _masked_email(email)
        updates.append(
            {
                "_key": entry_id,
                "state": json.dumps(state, ensure_ascii=False, default=str, sort_keys=True),
            }
        )
    _update_each(history, "entry_id", updates)


def upgrade() -> None:
    schema_v2.bind_idempotency_keys_to_callers()
    _withhold_one_time_passwords()
    _seal_users()
    _mask_user_history()
    op.create_table(
        "sign_in_attempts",
        sa.Column("name_hash", sa.String(64), primary_key=True),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("failures", sa.Integer, nullable=False),
    )
    op.create_index("ix_sign_in_attempts_window_start", "sign_in_attempts", ["window_start"])


def downgrade() -> None:
    raise NotImplementedError(
        "one-time passwords are gone from stored replies and old keys are bound to no caller; "
        "restore a backup to go back"
    )
