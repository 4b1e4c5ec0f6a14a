"""A roster file sent in parts, then imported whole.

A county's roster can be 20 MiB; as one RPC request it would be 27 MiB of base64, which every
consumer would have to read before it could refuse it. So a client sends the file in parts of at
most ROSTER_PART_BYTES (`registry.upload_roster_part`), each an ordinary request, and then names
the upload in `registry.start_roster_import`, which takes the parts whole, checks the file's
SHA-256 against the one the client gives (a part missing, repeated or out of order cannot pass)
and deletes the parts in the transaction that stages the import. The file is read (in a child
process, `reading`) between the two, outside any transaction.

An upload belongs to whoever sent its first part: nobody else can add to it, read it or import
it. Parts are sealed with the data key, since the file holds ID numbers and phones in full; the
parts of an upload nobody imports are deleted after KEEP_FOR. A sender has at most
MAX_OPEN_UPLOADS uploads open at once, so no one can fill the database with abandoned parts.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import delete, distinct, func, insert, select

from registry.adapters.tables import roster_upload_parts as parts_table
from registry.exceptions import RosterUploadRejected
from registry_contract.rosters import MAX_ROSTER_BYTES, MAX_ROSTER_PARTS, ROSTER_PART_BYTES
from sanbao_common.crypto import DataKey

KEEP_FOR = timedelta(days=1)
MAX_OPEN_UPLOADS = 4
_PRUNE_AT_ONCE = 100


def _refused(en: str, zh: str, **details) -> RosterUploadRejected:
    return RosterUploadRejected(message_en=en, message_zh=zh, **details)


def store_part(
    connection, key: DataKey, upload_id: str, index: int, data: bytes, actor: str, now: datetime
) -> dict:
    """Keep part `index` of `upload_id`; sending the same part again changes nothing."""
    if not 0 <= index < MAX_ROSTER_PARTS:
        raise _refused(
            f"a part number runs from 0 to {MAX_ROSTER_PARTS - 1}",
            f"分段编号须在 0 至 {MAX_ROSTER_PARTS - 1} 之间",
            part=index,
        )
    if not data or len(data) > ROSTER_PART_BYTES:
        raise _refused(
            f"a part holds 1 to {ROSTER_PART_BYTES} bytes",
            f"每段须为 1 至 {ROSTER_PART_BYTES} 字节",
            size=len(data),
        )
    _prune(connection, now)
    sha256 = hashlib.sha256(data).hexdigest()
    kept = connection.execute(
        select(
            parts_table.c.uploaded_by, parts_table.c.part, parts_table.c.sha256, parts_table.c.size
        ).where(parts_table.c.upload_id == upload_id)
    ).all()
    if any(row.uploaded_by != actor for row in kept):
        raise _refused(
            "this upload id is another person's: choose a new one",
            "该上传编号属于他人，请换一个编号",
        )
    same = next((row for row in kept if row.part == index), None)
    if same is not None:
        if same.sha256 != sha256:
            raise _refused(
                "this part was already sent with other content: start a new upload",
                "该分段已上传过不同内容，请重新开始上传",
                part=index,
            )
        return {"upload_id": upload_id, "part": index, "size": len(data), "sha256": sha256}
    if sum(row.size for row in kept) + len(data) > MAX_ROSTER_BYTES:
        raise _refused(
            f"a roster file is at most {MAX_ROSTER_BYTES} bytes",
            f"花名册文件最大为 {MAX_ROSTER_BYTES} 字节",
        )
    if not kept and _open_uploads(connection, actor) >= MAX_OPEN_UPLOADS:
        raise _refused(
            f"you have {MAX_OPEN_UPLOADS} uploads open: import them or wait a day",
            f"您已有 {MAX_OPEN_UPLOADS} 个未完成的上传，请先导入或一天后再试",
        )
    connection.execute(
        insert(parts_table).values(
            upload_id=upload_id,
            part=index,
            uploaded_by=actor,
            size=len(data),
            sha256=sha256,
            content_sealed=key.seal_bytes(data),
            uploaded_at=now,
        )
    )
    return {"upload_id": upload_id, "part": index, "size": len(data), "sha256": sha256}


def whole_file(connection, key: DataKey, upload_id: str, sha256: str, actor: str) -> bytes:
    """The file the parts of `upload_id` make, in part order, if it is `actor`'s and its SHA-256
    is `sha256`."""
    rows = connection.execute(
        select(parts_table.c.part, parts_table.c.uploaded_by, parts_table.c.content_sealed)
        .where(parts_table.c.upload_id == upload_id)
        .order_by(parts_table.c.part)
    ).all()
    if not rows or any(row.uploaded_by != actor for row in rows):
        raise _refused(
            "no upload of yours with this id (parts are kept for a day)",
            "没有您的该编号上传（分段保留一天）",
            upload_id=upload_id,
        )
    if [row.part for row in rows] != list(range(len(rows))):
        missing = sorted(set(range(rows[-1].part + 1)) - {row.part for row in rows})
        raise _refused(f"parts {missing} are missing", f"缺少第 {missing} 段", missing=missing)
    data = b"".join(key.open_bytes(row.content_sealed) for row in rows)
    if hashlib.sha256(data).hexdigest() != str(sha256 or "").lower():
        raise _refused(
            "the parts do not make the file the SHA-256 names: send them again",
            "各分段拼成的文件与所给 SHA-256 不符，请重新上传",
        )
    return data


def discard(connection, upload_id: str) -> None:
    """The parts of an upload just imported (in the transaction that stages the import)."""
    connection.execute(delete(parts_table).where(parts_table.c.upload_id == upload_id))


def _open_uploads(connection, actor: str) -> int:
    return connection.execute(
        select(func.count(distinct(parts_table.c.upload_id))).where(
            parts_table.c.uploaded_by == actor
        )
    ).scalar_one()


def _prune(connection, now: datetime) -> None:
    """Forget uploads nobody imported within KEEP_FOR, a few at a time."""
    stale = (
        select(parts_table.c.upload_id)
        .where(parts_table.c.uploaded_at < now - KEEP_FOR)
        .distinct()
        .limit(_PRUNE_AT_ONCE)
    )
    ids = connection.execute(stale).scalars().all()
    if ids:
        connection.execute(delete(parts_table).where(parts_table.c.upload_id.in_(ids)))
