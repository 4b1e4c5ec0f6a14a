"""Registering and updating people: `apply_people`, through which every way people enter or
change goes — a registration, an update, a roster row — so an imported row and an RPC call are
judged and recorded alike. It never commits: the entrypoint (or the roster importer, per chunk)
commits once, together with the idempotency key or the import's progress.

One call works on a batch (up to a roster chunk of 1,000 rows) in a few queries: the people and
households already stored are looked up together first, every row is then judged against them in
memory, and what changed is written back together at the end.

Long because it is that one algorithm, read top to bottom (`apply_people`, then its steps);
splitting it would scatter one batch's state over several modules.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy.exc import IntegrityError

from registry.directory.vocabulary_use_cases import load_lexicon
from registry.events import registry_event
from registry.exceptions import ConcurrentRegistration, LabourerAlreadyRegistered
from registry.people import domain as people
from registry.people.domain import Household, Person, PersonInput, RowProblem
from registry.people.events import labourer_state, poverty_status_changed
from registry.people.repository import PeopleRepository
from sanbao_common.access import OutOfScope
from sanbao_common.context import Caller
from sanbao_common.crypto import DataKey
from sanbao_common.db import UnitOfWork
from sanbao_common.errors import InvalidInput
from sanbao_common.messaging.outbox import write_events
from sanbao_common.privacy import mask_id_number, mask_phone

EVENT_BATCH = 500  # people per event at most (a roster chunk of 1,000 new people makes two)
TOWNSHIP_DIGITS = 9  # of a village code: the township's code

# A household is numbered within its village (townships number theirs 001, 002… in each
# village's survey): (village code, household number). A row names a household of the village
# it gives for the person; the same number in another village is another household, never
# looked up, changed or told of.
HouseholdKey = tuple[str, str]


@dataclass
class Outcome:
    """What became of each input: index -> person id, or index -> the reasons it was refused."""

    registered: dict[int, str] = field(default_factory=dict)
    updated: dict[int, str] = field(default_factory=dict)
    confirmed: dict[int, str] = field(default_factory=dict)
    refused: dict[int, list[RowProblem]] = field(default_factory=dict)
    held: dict[int, str] = field(default_factory=dict)  # identity conflicts: index -> stored id

    def refuse(self, index: int, problem: RowProblem) -> None:
        self.refused.setdefault(index, []).append(problem)


@dataclass
class Context:
    """What applying people needs besides the unit of work."""

    caller: Caller
    key: DataKey
    scope: str | None = None  # area every input must lie in (the caller's, or an importer's)
    source: str = "rpc"
    agents: dict[str, dict | None] = field(default_factory=dict)  # username cache
    # Roster rows: an ID number registered under another name, in another township or outside
    # `scope` is held (`Outcome.held`), not applied, for the county to confirm or reject.
    hold_conflicts: bool = False


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
    batch = _Batch(context, register_only, datetime.now(UTC))
    accepted = batch.screen(inputs)
    batch.stored = repository.by_hash([id_hash for _, _, id_hash in accepted])
    _look_up_agents(repository, context, [person for _, person, _ in accepted])
    batch.households = repository.households_by_key(
        sorted({(p.village_code, p.household_number) for _, p, _ in accepted if p.household_number})
    )
    for index, person, id_hash in accepted:
        batch.apply(index, person, id_hash)
    _poverty_reaches_members(repository, batch)
    _save(repository, batch)
    write_events(uow, _events(repository, batch))
    return batch.outcome


def raise_first_refusal(outcome: Outcome) -> None:
    """For single-person commands: the refusal as the error the caller can act on."""
    if not outcome.refused:
        return
    problems = next(iter(outcome.refused.values()))
    if problems[0].code == LabourerAlreadyRegistered.code:
        known = problems[0].registered_as  # None for a record outside the caller's area
        raise LabourerAlreadyRegistered(**({"person_id": known} if known else {}))
    if problems[0].code == OutOfScope.code:
        raise OutOfScope()
    raise InvalidInput({p.column: [p.reason_en] for p in problems})


@dataclass
class _Batch:
    """One call's work in progress: what is stored, what it becomes, and the history of it."""

    context: Context
    register_only: bool
    now: datetime
    outcome: Outcome = field(default_factory=Outcome)
    stored: dict[str, Person] = field(default_factory=dict)  # by ID hash
    households: dict[HouseholdKey, Household] = field(default_factory=dict)  # as they become
    new_households: dict[HouseholdKey, None] = field(default_factory=dict)  # in order
    changed_households: dict[HouseholdKey, None] = field(default_factory=dict)  # in order
    poverty_changed: set[HouseholdKey] = field(default_factory=set)
    new_people: list[Person] = field(default_factory=list)
    changed_people: list[tuple[Person, list[str]]] = field(default_factory=list)
    confirmed: list[str] = field(default_factory=list)  # person ids
    history: list[dict] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.actor = self.context.caller.actor

    def screen(self, inputs: list[tuple[int, PersonInput]]) -> list[tuple[int, PersonInput, str]]:
        """The inputs inside the caller's area, each ID number once, with their ID hashes."""
        scope = self.context.scope.split("-")[0] if self.context.scope else None
        seen: set[str] = set()
        accepted = []
        for index, person in inputs:
            if scope and not person.village_code.startswith(scope):
                self.outcome.refuse(
                    index,
                    RowProblem(
                        "village_code",
                        "超出您的管辖范围",
                        "outside your area",
                        code=OutOfScope.code,
                    ),
                )
                continue
            id_hash = self.context.key.lookup_hash(person.id_number)
            if id_hash in seen:
                self.outcome.refuse(
                    index,
                    RowProblem(
                        "id_number",
                        "同一身份证号在本次提交中重复出现",
                        "the same ID number appears twice in what was sent",
                    ),
                )
                continue
            seen.add(id_hash)
            accepted.append((index, person, id_hash))
        return accepted

    def apply(self, index: int, person: PersonInput, id_hash: str) -> None:
        """One input judged against what is stored: refused, registered, updated or confirmed."""
        existing = self.stored.get(id_hash)
        if existing is not None and self._held(index, existing, person):
            return
        if existing is not None and (self.register_only or existing.status != "active"):
            scope = self.context.scope.split("-")[0] if self.context.scope else ""
            visible = existing.village_code.startswith(scope)
            self.outcome.refuse(index, _already_registered(existing, visible))
            return
        wanted = people.wanted_fields(person)
        problem = self._resolve_agent(person, wanted) or _moving_problem(existing, person)
        if problem:
            self.outcome.refuse(index, problem)
            return
        household = self._household_for(person, wanted)
        problem = _intention_problem(existing, wanted)
        if problem is None and existing is None:
            problem = person.age_problem
        if problem:
            self.outcome.refuse(index, problem)
            return
        if existing is None:
            record = self._register(index, person, wanted, id_hash)
        else:
            record = self._update(index, existing, wanted)
            self.stored[id_hash] = record
        if household is not None:
            key = (person.village_code, person.household_number)
            self._apply_household_facts(key, person, record)

    def _held(self, index: int, existing: Person, person: PersonInput) -> bool:
        """A roster row naming a stored person under another name, in another township or out
        of the importer's reach: held (nothing of the stored person goes back to the caller)."""
        if not self.context.hold_conflicts:
            return False
        scope = self.context.scope.split("-")[0] if self.context.scope else ""
        township = existing.village_code[:TOWNSHIP_DIGITS]
        if (
            existing.name != person.name
            or township != person.village_code[:TOWNSHIP_DIGITS]
            or not existing.village_code.startswith(scope)
        ):
            self.outcome.held[index] = existing.person_id
            return True
        return False

    def _resolve_agent(self, person: PersonInput, wanted: dict) -> RowProblem | None:
        if "agent" not in person.columns:
            return None
        agent = self.context.agents.get(person.agent) if person.agent else None
        if person.agent and agent is None:
            return RowProblem(
                "agent",
                f"经纪人“{person.agent}”不是本县在册的劳务经纪人",
                f"{person.agent!r} is not an agent of this county",
            )
        wanted["agent_id"] = agent["user_id"] if agent else None
        return None

    def _household_for(self, person: PersonInput, wanted: dict) -> Household | None:
        """The household a row names in the person's village (the row's), registered now if it
        is new there: a person moving village with their old household number starts a new
        household in the new village; the old one stays as it was."""
        if not person.household_number:
            if "household_number" in person.columns:
                wanted["household_id"] = None
            return None
        key = (person.village_code, person.household_number)
        household = self.households.get(key)
        if household is None:
            household = Household(
                household_id=str(uuid.uuid4()),
                household_number=person.household_number,
                village_code=person.village_code,
                head_person_id=None,
                poor=bool(person.poor),
                poverty_file_number=person.poverty_file_number,
                version=1,
                changed_at=self.now,
                changed_by=self.actor,
            )
            self.households[key] = household
            self.new_households[key] = None
        wanted["household_id"] = household.household_id
        return household

    def _register(self, index: int, person: PersonInput, wanted: dict, id_hash: str) -> Person:
        record = _new_person(person, wanted, id_hash, self.context.key, self.now, self.actor)
        self.new_people.append(record)
        self.outcome.registered[index] = record.person_id
        return record

    def _update(self, index: int, existing: Person, wanted: dict) -> Person:
        key = self.context.key
        current = {name: _stored_value(existing, name, key) for name in wanted}
        diff = people.changes(current, wanted)
        if not diff:
            self.confirmed.append(existing.person_id)
            self.outcome.confirmed[index] = existing.person_id
            return existing
        changed: dict = {}
        for name, (before, after) in diff.items():
            changed.update(_stored_fields(name, after, key))
            self._record_change("labourer", existing.person_id, name, before, after)
            aspect = people.ASPECT_OF.get(name)
            if aspect:
                changed[f"{aspect}_at"], changed[f"{aspect}_by"] = self.now, self.actor
            if aspect == "employment":
                changed["employment_source"] = None  # the township's record from now on
        record = existing.with_changes(
            **changed, confirmed_at=self.now, confirmed_by=self.actor, version=existing.version + 1
        )
        self.changed_people.append((record, sorted(diff)))
        self.outcome.updated[index] = record.person_id
        return record

    def _apply_household_facts(
        self, key: HouseholdKey, person: PersonInput, record: Person
    ) -> None:
        """A member's row says who heads the household and whether it is registered poor; the
        household gets one new version per batch, however many of its rows say something."""
        household = self.households[key]
        diff = people.household_changes(household, person, record.person_id)
        if not diff:
            return
        for name, (before, after) in diff.items():
            self._record_change("household", household.household_id, name, before, after)
        changed = {name: after for name, (_, after) in diff.items()}
        if key not in self.changed_households:
            self.changed_households[key] = None
            changed.update(
                version=household.version + 1,
                changed_at=record.confirmed_at,
                changed_by=record.confirmed_by,
            )
        if "poor" in diff:
            self.poverty_changed.add(key)
        self.households[key] = household.with_changes(**changed)

    def _record_change(self, kind: str, record_id: str, name: str, before, after) -> None:
        self.history.append(
            {
                "record_kind": kind,
                "record_id": record_id,
                "field": name,
                "before": _history_value(name, before),
                "after": _history_value(name, after),
                "changed_at": self.now,
                "changed_by": self.actor,
                "source": self.context.source,
            }
        )


def changed_fields(existing: Person, person: PersonInput, key: DataKey) -> list[str]:
    """The stored fields of `existing` that applying `person` would change (a held conflict's
    "what changes"), by name."""
    wanted = people.wanted_fields(person)
    current = {name: _stored_value(existing, name, key) for name in wanted}
    return sorted(people.changes(current, wanted))


def _already_registered(existing: Person, visible: bool) -> RowProblem:
    """The refusal of an ID number registered before; the record is named only to a caller
    whose area holds it (docs/access.md: nothing of a person elsewhere, not their record id)."""
    if not visible:
        return RowProblem(
            "id_number",
            "该身份证号已登记",
            "this ID number is already registered",
            code=LabourerAlreadyRegistered.code,
        )
    reason = (
        ("已登记", "already registered")
        if existing.status == "active"
        else (f"该记录已并入 {existing.merged_into}", "merged into another record")
    )
    return RowProblem(
        "id_number",
        f"该身份证号{reason[0]}（{existing.person_id}）",
        f"this ID number is {reason[1]} (person {existing.person_id})",
        code=LabourerAlreadyRegistered.code,
        registered_as=existing.person_id,
    )


def _moving_problem(existing: Person | None, person: PersonInput) -> RowProblem | None:
    """A household lives in one village: a member moving to another village says which
    household they belong to there (the number there; an empty one for none), or the row is
    refused rather than leave them in a household of the village they left, or drop them from
    it (and from its registered-poor flag) unsaid."""
    if (
        existing is None
        or not existing.household_id
        or existing.village_code == person.village_code
        or "household_number" in person.columns
    ):
        return None
    return RowProblem(
        "household_number",
        "换到其他村须同时填写在新村的户编号（户以村为单位；不属于任何户则留空）",
        "a household member moving to another village needs their household number there "
        "(households are numbered within a village), or an empty one for none",
    )


def _intention_problem(existing: Person | None, wanted: dict) -> RowProblem | None:
    """`check_intention` on the fields as they would be after the change (built only for the
    unemployed: it is the rule of no one else, and it runs once per roster row)."""
    status = (
        wanted["employment_status"]
        if "employment_status" in wanted
        else getattr(existing, "employment_status", None)
    )
    if status != "unemployed":
        return None
    return people.check_intention(
        {
            name: wanted[name] if name in wanted else getattr(existing, name, None)
            for name in ("employment_status", *people.INTENTION_FIELDS)
        }
    )


def _look_up_agents(repository: PeopleRepository, context: Context, inputs: list) -> None:
    """Agents named by username, looked up once per name and kept in the context's cache."""
    names = {p.agent for p in inputs if p.agent and p.agent not in context.agents}
    if names:
        found = repository.agents_by_username(sorted(names))
        context.agents.update({name: found.get(name) for name in names})


def _new_person(
    person: PersonInput, wanted: dict, id_hash: str, key: DataKey, now: datetime, actor: str
) -> Person:
    given_aspects = {people.ASPECT_OF.get(name) for name in wanted}
    row = {
        "person_id": str(uuid.uuid4()),
        "name": person.name,
        "id_hash": id_hash,
        "id_sealed": key.encrypt(person.id_number),
        "id_masked": mask_id_number(person.id_number),
        "sex": person.sex,
        "birth_year": person.birth_year,
        **_stored_fields("phone", person.phone, key),
        "village_code": person.village_code,
        "village_group": person.village_group,
        "household_id": wanted.get("household_id"),
        "relation_to_head": person.relation_to_head,
        "agent_id": wanted.get("agent_id"),
        "status": "active",
        "merged_into": None,
        "employment_status": person.employment_status,
        "employment_place": person.employment_place,
        "employment_source": None,
        "skills": person.skills,
        "intention_scope": person.intention_scope,
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
    for aspect in people.ASPECTS:
        given = aspect in given_aspects
        row[f"{aspect}_at"] = now if given else None
        row[f"{aspect}_by"] = actor if given else None
    # from_row, not Person(...): a chunk registers a thousand at a time (the field order is the
    # table's, which the repository checks against Person's at import).
    return Person.from_row(row)


def _stored_value(record: Person, name: str, key: DataKey):
    if name == "phone":
        return key.decrypt(record.phone_sealed) if record.phone_sealed else None
    return getattr(record, name)


def _stored_fields(name: str, value, key: DataKey) -> dict:
    """The stored fields a value sets: a phone is kept sealed and masked, never as it is."""
    if name == "phone":
        return {
            "phone_sealed": key.encrypt(value) if value else None,
            "phone_masked": mask_phone(value) if value else None,
        }
    return {name: value}


def _history_value(name: str, value):
    if name == "phone":
        return mask_phone(value) if value else None
    if isinstance(value, date):
        return value.isoformat()
    return value


def _poverty_reaches_members(repository: PeopleRepository, batch: _Batch) -> None:
    """Each member's state carries the household's poor flag: when it changes, every member's
    record gets a new version and a `labourer_updated` naming `poor`, so that consumers, who
    keep the highest version of each person, can never apply the flag out of order."""
    changed_by_id = {record.person_id: changed for record, changed in batch.changed_people}
    new_ids = {record.person_id for record in batch.new_people}
    for key in batch.poverty_changed.difference(batch.new_households):
        household = batch.households[key]
        member_ids = [p for p in repository.members(household.household_id) if p not in new_ids]
        for person_id in member_ids:
            if person_id in changed_by_id:
                changed_by_id[person_id].append("poor")
        others = repository.get_many([p for p in member_ids if p not in changed_by_id])
        for record in others.values():
            batch.changed_people.append((record.with_changes(version=record.version + 1), ["poor"]))


def _save(repository: PeopleRepository, batch: _Batch) -> None:
    try:
        repository.add_households([batch.households[k] for k in batch.new_households])
        repository.add_labourers(batch.new_people)
    except IntegrityError:
        # Another replica registered one of these people or households between our lookup and
        # our insert; the unit of work rolls back, and a retry finds them registered.
        raise ConcurrentRegistration() from None
    repository.save_labourers([record for record, _ in batch.changed_people])
    repository.save_households(
        [batch.households[k] for k in batch.changed_households if k not in batch.new_households]
    )
    repository.confirm(batch.confirmed, batch.now, batch.actor)
    repository.record_history(batch.history)


def _events(repository: PeopleRepository, batch: _Batch) -> list[dict]:
    caller = batch.context.caller
    known = {h.household_id: h for h in batch.households.values()}
    touched = batch.new_people + [record for record, _ in batch.changed_people]
    missing = {r.household_id for r in touched if r.household_id} - set(known)
    known.update(repository.households_by_id(sorted(missing)))
    lexicon = load_lexicon(repository.connection)  # once for the batch

    def state(record: Person) -> dict:
        return labourer_state(record, known.get(record.household_id), lexicon)

    events = _people_events("labourer_registered", caller, [state(r) for r in batch.new_people])
    events += _people_events(
        "labourer_updated",
        caller,
        [dict(state(record), changed=changed) for record, changed in batch.changed_people],
    )
    events += [
        poverty_status_changed(
            caller, batch.households[k], repository.members(batch.households[k].household_id)
        )
        for k in batch.changed_households
        if k not in batch.new_households and k in batch.poverty_changed
    ]
    return events


def _people_events(event_type: str, caller: Caller, states: list[dict]) -> list[dict]:
    """`labourer_registered` or `labourer_updated`: the states, EVENT_BATCH to an event."""
    return [
        registry_event(event_type, caller, {"people": states[start : start + EVENT_BATCH]})
        for start in range(0, len(states), EVENT_BATCH)
    ]
