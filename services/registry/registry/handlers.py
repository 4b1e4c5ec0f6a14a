"""registry's use cases about people: one function per command, inside the unit of work it is
given. Handlers never commit: the entrypoint (or the roster importer, per chunk) commits once,
together with the idempotency key or the import's progress.

Every way people enter or change — a registration, an update, a roster row — goes through
`apply_people`, so an imported row and an RPC call are judged and recorded alike.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.exc import IntegrityError

from registry.adapters.people_repository import Criteria, PeopleRepository
from registry.domain import people
from registry.domain.people import PersonInput, RowProblem
from registry.exceptions import (
    ConcurrentRegistration,
    LabourerAlreadyRegistered,
    LabourerNotFound,
    MergeRefused,
)
from sanbao_common.access import OutOfScope
from sanbao_common.context import Caller
from sanbao_common.crypto import DataKey
from sanbao_common.db import UnitOfWork
from sanbao_common.envelope import new_envelope
from sanbao_common.errors import InvalidInput
from sanbao_common.messaging.outbox import write_events
from sanbao_common.privacy import mask_id_number, mask_phone

SOURCE = "registry"
EVENT_BATCH = 500  # people per event at most (a roster chunk of 1,000 new people makes two)


@dataclass
class Outcome:
    """What became of each input: index -> person id, or index -> the reasons it was refused."""

    registered: dict[int, str] = field(default_factory=dict)
    updated: dict[int, str] = field(default_factory=dict)
    confirmed: dict[int, str] = field(default_factory=dict)
    refused: dict[int, list[RowProblem]] = field(default_factory=dict)

    def refuse(self, index: int, problem: RowProblem) -> None:
        self.refused.setdefault(index, []).append(problem)


# -- events --------------------------------------------------------------------------------------


def snapshot(record: dict, household: dict | None) -> dict:
    """A labourer as events carry them: the whole state consumers need, nothing unmasked."""
    return {
        "person_id": record["person_id"],
        "name": record["name"],
        "id_number_masked": record["id_masked"],
        "phone_masked": record["phone_masked"],
        "sex": record["sex"],
        "birth_year": record["birth_year"],
        "village_code": record["village_code"],
        "village_group": record["village_group"],
        "household_id": record["household_id"],
        "poor": bool(household and household["poor"]),
        "agent_id": record["agent_id"],
        "status": record["status"],
        "employment_status": record["employment_status"],
        "skills": [skill["name"] for skill in record["skills"]],
        "intention_regions": record["intention_regions"],
        "intention_industries": record["intention_industries"],
        "expected_wage_fen": record["expected_wage_fen"],
        "earliest_start": record["earliest_start"].isoformat()
        if record["earliest_start"]
        else None,
        "training_intention": record["training_intention"],
        "willing_to_go": people.willing_to_go(record),
        "version": record["version"],
    }


def _event(event_type: str, caller: Caller, payload: dict, record_id=None, version=None) -> dict:
    return new_envelope(
        event_type,
        source=SOURCE,
        county=caller.county,
        payload=payload,
        actor=caller.actor,
        correlation_id=caller.correlation_id,
        record_id=record_id,
        version=version,
    )


def _people_events(event_type: str, caller: Caller, states: list[dict]) -> list[dict]:
    return [
        _event(event_type, caller, {"people": states[start : start + EVENT_BATCH]})
        for start in range(0, len(states), EVENT_BATCH)
    ]


# -- registering and updating --------------------------------------------------------------------


@dataclass
class Context:
    """What applying people needs besides the unit of work."""

    caller: Caller
    key: DataKey
    scope: str | None = None  # area every input must lie in (the caller's, or an importer's)
    source: str = "rpc"
    agents: dict[str, dict | None] = field(default_factory=dict)  # username cache


def _new_record(person: PersonInput, wanted: dict, id_hash: str, key: DataKey, now, actor) -> dict:
    record = {
        "person_id": str(uuid.uuid4()),
        "name": person.name,
        "id_hash": id_hash,
        "id_sealed": key.encrypt(person.id_number),
        "id_masked": mask_id_number(person.id_number),
        "sex": person.sex,
        "birth_year": person.birth_year,
        "phone_sealed": key.encrypt(person.phone) if person.phone else None,
        "phone_masked": mask_phone(person.phone) if person.phone else None,
        "village_code": person.village_code,
        "village_group": person.village_group,
        "household_id": None,
        "relation_to_head": person.relation_to_head,
        "agent_id": None,
        "status": "active",
        "merged_into": None,
        "employment_status": person.employment_status,
        "employment_place": person.employment_place,
        "skills": person.skills,
        "intention_regions": person.intention_regions,
        "intention_industries": person.intention_industries,
        "expected_wage_fen": person.expected_wage_fen,
        "earliest_start": person.earliest_start,
        "training_intention": person.training_intention,
        "confirmed_at": now,
        "confirmed_by": actor,
        "registered_at": now,
        "registered_by": actor,
        "version": 1,
    }
    given_aspects = {people.ASPECT_OF.get(name) for name in wanted}
    for aspect in people.ASPECTS:
        given = aspect in given_aspects
        record[f"{aspect}_at"] = now if given else None
        record[f"{aspect}_by"] = actor if given else None
    return record


def _stored_value(record: dict, name: str, key: DataKey):
    if name == "phone":
        return key.decrypt(record["phone_sealed"]) if record["phone_sealed"] else None
    return record[name]


def _set_value(record: dict, name: str, value, key: DataKey) -> None:
    if name == "phone":
        record["phone_sealed"] = key.encrypt(value) if value else None
        record["phone_masked"] = mask_phone(value) if value else None
    else:
        record[name] = value


def _history_value(name: str, value):
    if name == "phone":
        return mask_phone(value) if value else None
    if isinstance(value, date):
        return value.isoformat()
    return value


def apply_people(
    uow: UnitOfWork,
    inputs: list[tuple[int, PersonInput]],
    context: Context,
    *,
    register_only: bool,
) -> Outcome:
    """Register the people not known yet, update those whose details changed (recorded as
    history), and confirm those whose details are what is stored.

    `register_only` refuses people already registered, with a pointer to their record (the
    register commands); otherwise a known person is updated (roster rows, update commands)."""
    repository = PeopleRepository(uow.connection)
    caller, key = context.caller, context.key
    now, actor = datetime.now(UTC), caller.actor
    outcome = Outcome()

    hashes: dict[int, str] = {}
    first_by_hash: dict[str, int] = {}
    accepted: list[tuple[int, PersonInput]] = []
    for index, person in inputs:
        if context.scope and not person.village_code.startswith(context.scope.split("-")[0]):
            outcome.refuse(
                index,
                RowProblem(
                    "village_code", "超出您的管辖范围", "outside your area", code=OutOfScope.code
                ),
            )
            continue
        id_hash = key.lookup_hash(person.id_number)
        if id_hash in first_by_hash:
            outcome.refuse(
                index,
                RowProblem(
                    "id_number",
                    "同一身份证号在本次提交中重复出现",
                    "the same ID number appears twice in what was sent",
                ),
            )
            continue
        first_by_hash[id_hash] = index
        hashes[index] = id_hash
        accepted.append((index, person))
    stored = repository.by_hash(list(hashes.values()))

    agent_names = {p.agent for _, p in accepted if p.agent and p.agent not in context.agents}
    if agent_names:
        found = repository.agents_by_username(sorted(agent_names))
        context.agents.update({name: found.get(name) for name in agent_names})

    household_numbers = sorted({p.household_number for _, p in accepted if p.household_number})
    households = repository.households_by_number(household_numbers)
    new_households: dict[str, dict] = {}
    changed_households: dict[str, dict] = {}
    poverty_changed: set[str] = set()  # household numbers
    history: list[dict] = []
    new_records: list[dict] = []
    changed_records: list[tuple[dict, list[str]]] = []
    confirmed: list[str] = []

    def record_change(kind: str, record_id: str, name: str, before, after) -> None:
        history.append(
            {
                "record_kind": kind,
                "record_id": record_id,
                "field": name,
                "before": _history_value(name, before),
                "after": _history_value(name, after),
                "changed_at": now,
                "changed_by": actor,
                "source": context.source,
            }
        )

    for index, person in accepted:
        existing = stored.get(hashes[index])
        if existing is not None and (register_only or existing["status"] != "active"):
            reason = (
                ("已登记", "already registered")
                if existing["status"] == "active"
                else (f"该记录已并入 {existing['merged_into']}", "merged into another record")
            )
            outcome.refuse(
                index,
                RowProblem(
                    "id_number",
                    f"该身份证号{reason[0]}（{existing['person_id']}）",
                    f"this ID number is {reason[1]} (person {existing['person_id']})",
                    code=LabourerAlreadyRegistered.code,
                    registered_as=existing["person_id"],
                ),
            )
            continue

        wanted = people.wanted_fields(person)
        if "agent" in person.columns:
            agent = context.agents.get(person.agent) if person.agent else None
            if person.agent and agent is None:
                outcome.refuse(
                    index,
                    RowProblem(
                        "agent",
                        f"经纪人“{person.agent}”不是本县在册的劳务经纪人",
                        f"{person.agent!r} is not an agent of this county",
                    ),
                )
                continue
            wanted["agent_id"] = agent["user_id"] if agent else None
        household = None
        if person.household_number:
            household = households.get(person.household_number) or new_households.get(
                person.household_number
            )
            if household is None:
                household = {
                    "household_id": str(uuid.uuid4()),
                    "household_number": person.household_number,
                    "village_code": person.village_code,
                    "head_person_id": None,
                    "poor": bool(person.poor),
                    "poverty_file_number": person.poverty_file_number,
                    "version": 1,
                    "changed_at": now,
                    "changed_by": actor,
                }
                new_households[person.household_number] = household
            wanted["household_id"] = household["household_id"]
        elif "household_number" in person.columns:
            wanted["household_id"] = None

        merged_state = dict(existing or {}, **wanted)
        problem = people.check_intention(merged_state)
        if problem:
            outcome.refuse(index, problem)
            continue

        if existing is None and person.age_problem is not None:
            outcome.refuse(index, person.age_problem)
            continue
        if existing is None:
            record = _new_record(person, wanted, hashes[index], key, now, actor)
            record.update(household_id=wanted.get("household_id"), agent_id=wanted.get("agent_id"))
            new_records.append(record)
            outcome.registered[index] = record["person_id"]
            stored[hashes[index]] = record
        else:
            current = {name: _stored_value(existing, name, key) for name in wanted}
            diff = people.changes(current, wanted)
            if not diff:
                confirmed.append(existing["person_id"])
                outcome.confirmed[index] = existing["person_id"]
            else:
                for name, (before, after) in diff.items():
                    _set_value(existing, name, after, key)
                    record_change("labourer", existing["person_id"], name, before, after)
                    aspect = people.ASPECT_OF.get(name)
                    if aspect:
                        existing[f"{aspect}_at"], existing[f"{aspect}_by"] = now, actor
                existing.update(confirmed_at=now, confirmed_by=actor)
                existing["version"] += 1
                changed_records.append((existing, sorted(diff)))
                outcome.updated[index] = existing["person_id"]
            record = existing

        if household is not None:
            _apply_household_facts(
                household, person, record, changed_households, poverty_changed, record_change
            )

    _poverty_reaches_members(
        repository,
        [households[n] for n in poverty_changed if n in households],
        {record["person_id"]: changed for record, changed in changed_records},
        {record["person_id"] for record in new_records},
        changed_records,
    )
    try:
        repository.add_households(list(new_households.values()))
        repository.add_labourers(new_records)
    except IntegrityError:
        # Another replica registered one of these people or households between our lookup and
        # our insert; the unit of work rolls back, and a retry finds them registered.
        raise ConcurrentRegistration() from None
    repository.save_labourers([record for record, _ in changed_records])
    repository.save_households(
        [h for n, h in changed_households.items() if n not in new_households]
    )
    repository.confirm(confirmed, now, actor)
    repository.record_history(history)

    known_households = {h["household_id"]: h for h in households.values()} | {
        h["household_id"]: h for h in new_households.values()
    }
    touched = new_records + [record for record, _ in changed_records]
    missing = {r["household_id"] for r in touched if r["household_id"]} - set(known_households)
    known_households.update(repository.households_by_id(sorted(missing)))

    def state(record: dict) -> dict:
        return snapshot(record, known_households.get(record["household_id"]))

    events = _people_events("labourer_registered", caller, [state(r) for r in new_records])
    events += _people_events(
        "labourer_updated",
        caller,
        [dict(state(record), changed=changed) for record, changed in changed_records],
    )
    events += [
        _poverty_event(caller, household, repository)
        for number, household in changed_households.items()
        if number not in new_households and number in poverty_changed
    ]
    write_events(uow, events)
    return outcome


def _poverty_reaches_members(
    repository, households_changed, changed_by_id, new_ids, changed_records
):
    """Each member's state carries the household's poor flag: when it changes, every member's
    record gets a new version and a `labourer_updated` naming `poor`, so that consumers, who
    keep the highest version of each person, can never apply the flag out of order."""
    for household in households_changed:
        member_ids = [
            person_id
            for person_id in repository.members(household["household_id"])
            if person_id not in new_ids
        ]
        for person_id in member_ids:
            if person_id in changed_by_id:
                changed_by_id[person_id].append("poor")
        others = repository.get_many([p for p in member_ids if p not in changed_by_id])
        for record in others.values():
            record["version"] += 1
            changed_records.append((record, ["poor"]))


def _apply_household_facts(household, person, record, changed, poverty_changed, record_change):
    """A member's row says who heads the household and whether it is registered poor. The
    household's area is its own: set when it is first registered, never by a head change."""
    number = household["household_number"]
    already_changed = number in changed
    if person.relation_to_head == "户主" and household["head_person_id"] != record["person_id"]:
        record_change(
            "household", household["household_id"], "head_person_id",
            household["head_person_id"], record["person_id"],
        )  # fmt: skip
        household["head_person_id"] = record["person_id"]
        changed[number] = household
    if person.poor is not None and "poor" in person.columns and household["poor"] != person.poor:
        record_change(
            "household", household["household_id"], "poor", household["poor"], person.poor
        )
        household["poor"] = person.poor
        poverty_changed.add(number)
        changed[number] = household
    if (
        "poverty_file_number" in person.columns
        and person.poverty_file_number
        and household["poverty_file_number"] != person.poverty_file_number
    ):
        record_change(
            "household", household["household_id"], "poverty_file_number",
            household["poverty_file_number"], person.poverty_file_number,
        )  # fmt: skip
        household["poverty_file_number"] = person.poverty_file_number
        changed[number] = household
    if number in changed and not already_changed:  # one new version per batch
        household["version"] += 1
        household["changed_at"], household["changed_by"] = (
            record["confirmed_at"],
            record["confirmed_by"],
        )


def _poverty_event(caller: Caller, household: dict, repository: PeopleRepository) -> dict:
    return _event(
        "household_poverty_status_changed",
        caller,
        {
            "household_id": household["household_id"],
            "household_number": household["household_number"],
            "village_code": household["village_code"],
            "poor": household["poor"],
            "members": repository.members(household["household_id"]),
            "version": household["version"],
        },
        record_id=household["household_id"],
        version=household["version"],
    )


def raise_first_refusal(outcome: Outcome) -> None:
    """For single-person commands: the refusal as the error the caller can act on."""
    if not outcome.refused:
        return
    problems = next(iter(outcome.refused.values()))
    if problems[0].registered_as:
        raise LabourerAlreadyRegistered(person_id=problems[0].registered_as)
    if problems[0].code == OutOfScope.code:
        raise OutOfScope()
    raise InvalidInput({p.column: [p.reason_en] for p in problems})


def confirm(uow: UnitOfWork, record: dict, caller: Caller) -> None:
    """The four clears checked and still true: the confirmation date moves, nothing else."""
    PeopleRepository(uow.connection).confirm([record["person_id"]], datetime.now(UTC), caller.actor)


# -- reading -------------------------------------------------------------------------------------


def get_labourer(uow: UnitOfWork, person_id: str) -> dict:
    repository = PeopleRepository(uow.connection)
    record = repository.get(person_id)
    if record is None:
        raise LabourerNotFound(person_id=person_id)
    return record


def household_of(uow: UnitOfWork, record: dict) -> dict | None:
    if not record["household_id"]:
        return None
    return (
        PeopleRepository(uow.connection)
        .households_by_id([record["household_id"]])
        .get(record["household_id"])
    )


def history(uow: UnitOfWork, record_kind: str, record_id: str) -> list[dict]:
    return PeopleRepository(uow.connection).history(record_kind, record_id)


def record_disclosure(
    uow: UnitOfWork, person_id: str, caller: Caller, organisation_id: str, reason: str
) -> dict:
    """That `caller` is being shown `person_id`'s ID number and phone, and why: written before
    anything is shown, and never changed or removed."""
    disclosure = {
        "disclosure_id": str(uuid.uuid4()),
        "person_id": person_id,
        "reason": reason,
        "disclosed_at": datetime.now(UTC),
        "disclosed_to": caller.actor,
        "organisation_id": organisation_id,
        "correlation_id": caller.correlation_id,
    }
    PeopleRepository(uow.connection).add_disclosure(disclosure)
    return disclosure


def list_disclosures(uow: UnitOfWork, person_id: str | None, limit: int) -> list[dict]:
    """The newest first; of one person, or of everyone."""
    return PeopleRepository(uow.connection).disclosures(person_id, limit)


def search(uow: UnitOfWork, criteria: Criteria, *, after: str | None, limit: int) -> list[dict]:
    return PeopleRepository(uow.connection).search(criteria, after=after, limit=limit)


def counts(uow: UnitOfWork, criteria: Criteria, by: str) -> list[dict]:
    length = {"township": 9, "village": 12}[by]
    return PeopleRepository(uow.connection).counts(criteria, by_length=length)


def count_labourers(
    uow: UnitOfWork, under: str | None = None, stale_before: datetime | None = None
) -> int:
    """Active labourers, or those in villages whose code starts with `under`; with
    `stale_before`, only those whose four clears were last confirmed before it."""
    criteria = Criteria(area=under, stale_before=stale_before)
    rows = PeopleRepository(uow.connection).counts(criteria, by_length=0)
    return sum(row["labour_force"] for row in rows)


def stale_before(days: int, now: datetime | None = None) -> datetime:
    return (now or datetime.now(UTC)) - timedelta(days=days)


# -- merging -------------------------------------------------------------------------------------


def merge_labourers(
    uow: UnitOfWork, keep_id: str, merge_id: str, reason: str, caller: Caller
) -> dict:
    """Fold a record found to be the same person as another into it. The merged record stays,
    marked and pointing at the kept one, so its history and events still make sense."""
    if keep_id == merge_id:
        raise MergeRefused(message_en="a record cannot be merged into itself")
    repository = PeopleRepository(uow.connection)
    records = repository.get_many([keep_id, merge_id])
    for person_id in (keep_id, merge_id):
        if person_id not in records:
            raise LabourerNotFound(person_id=person_id)
        if records[person_id]["status"] != "active":
            raise MergeRefused(message_en=f"{person_id} is already merged", person_id=person_id)
    kept, merged = records[keep_id], records[merge_id]
    now = datetime.now(UTC)
    merged.update(status="merged", merged_into=keep_id, version=merged["version"] + 1)
    kept["version"] += 1
    repository.save_labourers([kept, merged])
    repository.record_history(
        [
            {
                "record_kind": "labourer", "record_id": merge_id, "field": "merged_into",
                "before": None, "after": keep_id, "changed_at": now,
                "changed_by": caller.actor, "source": f"merge: {reason}"[:60],
            },
            {
                "record_kind": "labourer", "record_id": keep_id, "field": "merged_from",
                "before": None, "after": merge_id, "changed_at": now,
                "changed_by": caller.actor, "source": f"merge: {reason}"[:60],
            },
        ]
    )  # fmt: skip
    household = household_of(uow, kept)
    write_events(
        uow,
        [
            _event(
                "labourer_merged",
                caller,
                {
                    "kept": snapshot(kept, household),
                    "merged_person_id": merge_id,
                    "merged_version": merged["version"],
                    "reason": reason,
                },
                record_id=keep_id,
                version=kept["version"],
            )
        ],
    )
    return kept
