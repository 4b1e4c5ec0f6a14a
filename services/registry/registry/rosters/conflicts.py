"""Identity conflicts a roster import holds instead of applying: a row whose ID number is already
registered under another name, in another township, or outside the importer's area
(`registration.apply_people` with `hold_conflicts`). Such a row would rename or move someone,
perhaps someone the importer may not even see; so it waits, sealed with the data key, for a
county-level user to confirm it (it is then applied, as that user) or reject it (it is dropped).

A held row is bound to the stored person's version when it was held: once the person has changed
(an update, a merge, a poverty flag that reached them, another held row confirmed), confirming
it would undo that change, so a confirm is refused (`ConflictStale`) and the row can only be
rejected, or imported again to be held afresh. Several rows may be held for one person (an
import repeated, two townships naming the same ID number); a decision closes the others it
settles as `superseded`: a confirm all the others held for the person (they were written
against the person as they were), a rejection those that say exactly what the rejected row
says. A different row waits for its own decision.

What each side learns (docs/access.md): the importer, that the row is held for the county, by
its row number, and nothing of the person already registered; the county, the stored and the
new name and village, which fields would change, and the ID number as its role allows.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from datetime import UTC, date, datetime

from sqlalchemy import select, update

from registry.adapters.tables import labourers, roster_conflicts, roster_imports
from registry.exceptions import ConflictNotFound, ConflictResolved, ConflictStale
from registry.people import registration
from registry.people.domain import PersonInput, RowProblem
from registry.people.replies import iso
from registry.people.repository import PeopleRepository
from registry.rosters.validation import NO_SHEET, Ref
from sanbao_common.access import Principal
from sanbao_common.context import Caller
from sanbao_common.crypto import DataKey
from sanbao_common.db import UnitOfWork
from sanbao_common.errors import InvalidInput

STATUSES = ("held", "confirmed", "rejected", "superseded")
DECISIONS = {"confirm": "confirmed", "reject": "rejected"}
HELD_ZH = "已暂缓：该行待县级核实确认，未导入"
HELD_EN = "held for the county to confirm; not imported"
_INPUT_FIELDS = {f.name: f for f in dataclasses.fields(PersonInput)}


# -- the row, sealed -----------------------------------------------------------------------------


def seal_person(key: DataKey, person: PersonInput) -> bytes:
    """A parsed row (ID number and phone in full) sealed with the data key."""
    values, kinds = {}, {}
    for name in _INPUT_FIELDS:
        value = getattr(person, name)
        if isinstance(value, datetime):
            kinds[name], value = "datetime", value.isoformat()
        elif isinstance(value, date):
            kinds[name], value = "date", value.isoformat()
        elif isinstance(value, frozenset | set):
            kinds[name], value = "set", sorted(value)
        elif isinstance(value, RowProblem):
            kinds[name], value = "problem", [value.column, value.reason_zh, value.reason_en]
        values[name] = value
    body = {"fields": values, "kinds": kinds}
    return key.seal_bytes(json.dumps(body, ensure_ascii=False).encode())


def open_person(key: DataKey, sealed: bytes) -> PersonInput:
    body = json.loads(key.open_bytes(bytes(sealed)))
    values, kinds = body["fields"], body["kinds"]
    for name, kind in kinds.items():
        value = values[name]
        if kind == "datetime":
            values[name] = datetime.fromisoformat(value)
        elif kind == "date":
            values[name] = date.fromisoformat(value)
        elif kind == "set":
            values[name] = frozenset(value)
        elif kind == "problem":
            values[name] = RowProblem(*value)
    known = {name: value for name, value in values.items() if name in _INPUT_FIELDS}
    return PersonInput(**known)


# -- held by an import ---------------------------------------------------------------------------


def held_problem() -> RowProblem:
    """What the importer's error report says of a held row: that it is held, nothing more."""
    return RowProblem("", HELD_ZH, HELD_EN, code="HELD")


def hold(
    connection, key: DataKey, import_id: str, held: list[tuple[Ref, PersonInput, str]], actor: str
) -> None:
    """Keep the rows an import's chunk held ((sheet, row), the row, the stored person's id), in
    the chunk's transaction, each with the person's version as the chunk leaves it."""
    if not held:
        return
    now = datetime.now(UTC)
    stored = PeopleRepository(connection).get_many([person_id for _, _, person_id in held])
    connection.execute(
        roster_conflicts.insert(),
        [
            {
                "conflict_id": str(uuid.uuid4()),
                "import_id": import_id,
                "sheet": sheet or NO_SHEET,
                "row_number": row,
                "person_id": person_id,
                "person_version": stored[person_id].version,
                "content_sealed": seal_person(key, person),
                "status": "held",
                "held_at": now,
                "held_by": actor,
                "resolved_at": None,
                "resolved_by": None,
            }
            for (sheet, row), person, person_id in held
        ],
    )


# -- for the county ------------------------------------------------------------------------------


def _query():
    c, i = roster_conflicts.c, roster_imports.c
    return select(roster_conflicts, i.filename, i.scope.label("importer_area")).select_from(
        roster_conflicts.join(roster_imports, c.import_id == i.import_id)
    )


def list_conflicts(
    connection, key: DataKey, principal: Principal, status: str | None, limit: int
) -> list[dict]:
    """Conflicts (those still held, unless `status` says otherwise), oldest first."""
    query = _query().order_by(roster_conflicts.c.held_at, roster_conflicts.c.conflict_id)
    if status is not None:
        query = query.where(roster_conflicts.c.status == status)
    rows = connection.execute(query.limit(limit)).all()
    stored = PeopleRepository(connection).get_many([row.person_id for row in rows])
    return [
        reveal(_conflict_reply(row, stored[row.person_id], key), key, principal) for row in rows
    ]


def reveal(reply: dict, key: DataKey, principal: Principal) -> dict:
    """A conflict reply on its way out: the ID number in full for a caller whose role and area
    allow it (docs/access.md), masked for everyone else. Until then it stays sealed. (A retry's
    reply, `kept`, has no ID number at all.)"""
    id_sealed = reply.pop("_id_sealed", None)
    if id_sealed is not None and principal.sees_unmasked(reply["stored"]["village_code"]):
        reply["id_number"] = key.decrypt(id_sealed)
    return reply


def _conflict_reply(row, existing, key: DataKey) -> dict:
    person = open_person(key, row.content_sealed) if row.content_sealed else None
    reply = {
        "conflict_id": row.conflict_id,
        "status": row.status,
        "import_id": row.import_id,
        "filename": row.filename,
        "sheet": row.sheet or None,
        "row_number": row.row_number,
        "held_at": iso(_utc(row.held_at)),
        "held_by": row.held_by,
        "importer_area": row.importer_area,
        "resolved_at": iso(_utc(row.resolved_at)),
        "resolved_by": row.resolved_by,
        "person_id": existing.person_id,
        "person_version": row.person_version,  # the person's version when the row was held
        # A held row whose person changed since: it can no longer be confirmed, only rejected.
        "changed_since_held": row.status == "held" and existing.version != row.person_version,
        "id_number_masked": existing.id_masked,
        "_id_sealed": existing.id_sealed,
        "stored": {"name": existing.name, "village_code": existing.village_code},
        "row": None,
        "why": [],
        "changes": [],
    }
    if person is not None:  # held: what the row says, and what it would change
        reply["row"] = {"name": person.name, "village_code": person.village_code}
        reply["why"] = _why(existing, person, row.importer_area)
        reply["changes"] = registration.changed_fields(existing, person, key)
    return reply


def _utc(moment: datetime | None) -> datetime | None:
    """A stored moment (SQLite gives it back without its zone, which is UTC)."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def _why(existing, person: PersonInput, importer_area: str) -> list[str]:
    township = registration.TOWNSHIP_DIGITS
    found = []
    if existing.name != person.name:
        found.append("name")
    if existing.village_code[:township] != person.village_code[:township]:
        found.append("township")
    if not existing.village_code.startswith(importer_area.split("-")[0]):
        found.append("outside_importer_area")
    return found


def resolve(
    uow: UnitOfWork, key: DataKey, scope: str, caller: Caller, conflict_id: str, decision
) -> dict:
    """Confirm a held row (applied now, as `caller` within `scope`, recorded in the person's
    history as coming from the import; refused if the person changed since it was held) or
    reject it; either way its sealed row is dropped, and the other rows held for the person that
    the decision settles are closed as superseded (module docstring). The reply says what the row
    changed (or would have), as the county saw it held, and which conflicts it superseded."""
    if decision not in DECISIONS:
        raise InvalidInput({"decision": ["confirm or reject"]})
    connection = uow.connection
    row = connection.execute(_query().where(roster_conflicts.c.conflict_id == conflict_id)).first()
    if row is None:
        raise ConflictNotFound(conflict_id=conflict_id)
    if row.status != "held":
        raise ConflictResolved(conflict_id=conflict_id, status=row.status)
    if decision == "confirm":
        _check_version(connection, row)
    person = open_person(key, row.content_sealed)
    reply = _conflict_reply(row, PeopleRepository(connection).get(row.person_id), key)
    outcome = None
    if decision == "confirm":
        context = registration.Context(
            caller=caller, key=key, scope=scope, source=f"import:{row.import_id}"
        )
        applied = registration.apply_people(uow, [(0, person)], context, register_only=False)
        registration.raise_first_refusal(applied)
        outcome = "updated" if applied.updated else "confirmed"
    now = datetime.now(UTC)
    closed = {"content_sealed": b"", "resolved_at": now, "resolved_by": caller.actor}
    if not _close(connection, [conflict_id], {"status": DECISIONS[decision], **closed}):
        # another county user resolved it meanwhile: this one's changes roll back
        raise ConflictResolved(conflict_id=conflict_id)
    superseded = _settled_too(connection, key, row, person if decision == "reject" else None)
    _close(connection, superseded, {"status": "superseded", **closed})
    return reply | {
        "status": DECISIONS[decision],
        "resolved_at": iso(now),
        "resolved_by": caller.actor,
        "outcome": outcome,
        "superseded": superseded,
    }


def kept(reply: dict) -> dict:
    """What is kept of a decision's reply for a retry with the same idempotency key: ids and
    status, none of the names, villages or ID number of the row that is gone."""
    names = ("conflict_id", "status", "import_id", "person_id", "outcome", "resolved_at",
             "resolved_by", "superseded")  # fmt: skip
    return {name: reply[name] for name in names}


def _check_version(connection, row) -> None:
    """The person is still at the version the row was held against, and stays so until the
    transaction ends (their row locked, on PostgreSQL; SQLite lets one writer in at a time)."""
    version = connection.execute(
        select(labourers.c.version).where(labourers.c.person_id == row.person_id).with_for_update()
    ).scalar()
    if version != row.person_version:
        raise ConflictStale(conflict_id=row.conflict_id)


def _settled_too(connection, key: DataKey, row, rejected: PersonInput | None) -> list[str]:
    """The other conflicts held for the same person that a decision settles: after a confirm,
    all of them; after a rejection (`rejected`, its row), those whose row is the same."""
    others = connection.execute(
        select(roster_conflicts.c.conflict_id, roster_conflicts.c.content_sealed)
        .where(
            roster_conflicts.c.person_id == row.person_id,
            roster_conflicts.c.status == "held",
            roster_conflicts.c.conflict_id != row.conflict_id,
        )
        .order_by(roster_conflicts.c.held_at, roster_conflicts.c.conflict_id)
    ).all()
    if rejected is None:
        return [other.conflict_id for other in others]
    same = _comparable(rejected)
    return [
        other.conflict_id
        for other in others
        if _comparable(open_person(key, other.content_sealed)) == same
    ]


def _comparable(person: PersonInput) -> PersonInput:
    """A row as compared with another: its age problem (an exception, and of the day the row
    was read) aside."""
    return dataclasses.replace(person, age_problem=None)


def _close(connection, conflict_ids: list[str], values: dict) -> bool:
    """Conflicts still held moved to `values`; whether every one of them was."""
    if not conflict_ids:
        return True
    moved = connection.execute(
        update(roster_conflicts)
        .where(
            roster_conflicts.c.conflict_id.in_(conflict_ids), roster_conflicts.c.status == "held"
        )
        .values(values)
    ).rowcount
    return moved == len(conflict_ids)
