"""People's entrypoints: registering, updating, confirming and merging labourers, reading
them (masked or not, by the caller's role and area), disclosures, searches and counts."""

from __future__ import annotations

from datetime import UTC, date, datetime

from nameko import config

from registry.directory.vocabulary_use_cases import load_lexicon
from registry.hiring.visibility import company_sees
from registry.parts import RegistryPart
from registry.people import registration
from registry.people import use_cases as people
from registry.people.domain import ASPECTS, Person, PersonInput, RowProblem, within_age
from registry.people.events import labourer_state
from registry.people.parsing import Parser
from registry.people.replies import (
    criteria_from,
    disclosure_reply,
    history_reply,
    iso,
    refusal,
    text_fields,
)
from registry.people.use_cases import group_scope
from registry.people.villages import VillageBook
from registry.rosters.use_cases import rules_for
from registry.schemas import LabourerBatchSchema
from registry.settings import configured
from registry_contract.vocabularies import INPUT_COLUMNS
from sanbao_common.access import AREA_KINDS, Forbidden, OutOfScope
from sanbao_common.errors import InvalidInput
from sanbao_common.rpc import load, rpc
from sanbao_common.validators import id_number_birth_date

MAX_BATCH = 1000  # rows a search or a disclosure list answers with at most
MIN_REASON = 4  # "核查身份" is a reason; "x" is not
INPUT_COLUMN_SET = frozenset(INPUT_COLUMNS)


def _age_check_request(on, min_age, max_age) -> tuple[date, tuple[int | None, int | None]]:
    problems: dict[str, list[str]] = {}
    try:
        day = date.fromisoformat(on) if isinstance(on, str) else None
    except ValueError:
        day = None
    if day is None:
        problems["on"] = ["a date, YYYY-MM-DD"]
    for name, value in (("min_age", min_age), ("max_age", max_age)):
        if value is not None and (
            not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 150
        ):
            problems[name] = ["whole years, 0 to 150"]
    if min_age is None and max_age is None:
        problems["min_age"] = ["give min_age, max_age or both"]
    elif not problems and min_age is not None and max_age is not None and min_age > max_age:
        problems["max_age"] = ["not below min_age"]
    if problems:
        raise InvalidInput(problems)
    return day, (min_age, max_age)


class PeopleEntrypoints(RegistryPart):
    # -- people --------------------------------------------------------------------------------

    def _people_context(self) -> registration.Context:
        principal = self.access.principal
        return registration.Context(
            caller=self.context.caller(),
            key=self.data_key,
            scope=principal.scope if principal.organisation_kind in AREA_KINDS else None,
        )

    def _parser(self, villages: VillageBook | None = None) -> Parser:
        """A parser whose village names and codes are looked up in the county's list, names
        within the caller's area."""
        if villages is None:
            with self.db.reader() as uow:
                villages = VillageBook.load(uow.connection, self._people_context().scope)
        return Parser(rules_for(config["COUNTY"], configured(), datetime.now(UTC)), villages)

    def _parse_one(self, parser: Parser, fields) -> PersonInput:
        person, problems = parser.parse(text_fields(fields, INPUT_COLUMN_SET))
        if problems:
            raise InvalidInput({p.column: [p.reason_en] for p in problems})
        return person

    def _labourer_reply(self, uow, record: Person, lexicon=None) -> dict:
        household = people.household_of(uow, record)
        reply = labourer_state(record, household, lexicon or load_lexicon(uow.connection))
        stale_before = people.stale_before(configured()["STALE_AFTER_DAYS"])
        reply.update(
            skills=record.skills,
            relation_to_head=record.relation_to_head,
            household_number=household.household_number if household else None,
            poverty_file_number=household.poverty_file_number if household else None,
            employment_place=record.employment_place,
            merged_into=record.merged_into,
            four_clears={
                aspect: {
                    "changed_at": iso(getattr(record, f"{aspect}_at")),
                    "by": getattr(record, f"{aspect}_by"),
                }
                for aspect in ASPECTS
            },
            confirmed_at=iso(record.confirmed_at),
            confirmed_by=record.confirmed_by,
            stale=record.confirmed_at < stale_before,
            registered_at=iso(record.registered_at),
            registered_by=record.registered_by,
        )
        # Sealed, so that a reply kept for retries reveals nothing; `_reveal` unseals.
        reply["_sealed"] = [record.id_sealed, record.phone_sealed]
        return reply

    def _reveal(self, reply: dict, company_people: frozenset[str] = frozenset()) -> dict:
        """A labourer reply on its way out: ID number and phone in full for a caller whose
        role and area allow it, or an HR operator whose company's open batch or active
        placement holds the person (`company_people`: registry.hiring.visibility.company_sees);
        masked for everyone else (docs/access.md)."""
        id_sealed, phone_sealed = reply.pop("_sealed")
        if (
            self.access.principal.sees_unmasked(reply["village_code"])
            or reply["person_id"] in company_people
        ):
            reply["id_number"] = self.data_key.decrypt(id_sealed)
            reply["phone"] = self.data_key.decrypt(phone_sealed) if phone_sealed else None
        return reply

    @rpc(permission="labourers.register")
    def register_labourer(self, labourer: dict, idempotency_key: str) -> dict:
        """Register one person; an ID number already registered is refused with its record."""
        person = self._parse_one(self._parser(), labourer)
        self.access.require_in_scope(person.village_code)
        context = self._people_context()

        def execute(uow):
            outcome = registration.apply_people(uow, [(0, person)], context, register_only=True)
            registration.raise_first_refusal(outcome)
            return self._labourer_reply(uow, people.get_labourer(uow, outcome.registered[0]))

        return self._reveal(self._command("register_labourer", idempotency_key, labourer, execute))

    @rpc(permission="labourers.register")
    def register_labourers(self, labourers: list, idempotency_key: str) -> dict:
        """Register many people in one transaction; each refused one says why."""
        labourers = load(LabourerBatchSchema(), {"labourers": labourers})["labourers"]
        parser, context = self._parser(), self._people_context()
        inputs, refused, names = [], [], {}
        for index, row in enumerate(labourers):
            try:
                person, problems = parser.parse(text_fields(row, INPUT_COLUMN_SET))
            except InvalidInput as exc:
                person, problems = (
                    None,
                    [
                        RowProblem(name, "; ".join(reasons), "; ".join(reasons))
                        for name, reasons in exc.errors.items()
                    ],
                )
            if problems:
                refused.append(refusal(index, problems))
            else:
                inputs.append((index, person))
                names[index] = person.name

        def execute(uow):
            outcome = registration.apply_people(uow, inputs, context, register_only=True)
            return {
                # Who was registered, briefly: a batch's caller knows what it sent, and a
                # full reply per person would cost more than registering them.
                "registered": [
                    {"index": index, "person_id": person_id, "name": names[index]}
                    for index, person_id in sorted(outcome.registered.items())
                ],
                "refused": sorted(
                    refused + [refusal(i, problems) for i, problems in outcome.refused.items()],
                    key=lambda row: row["index"],
                ),
            }

        return self._command("register_labourers", idempotency_key, labourers, execute)

    @rpc(permission="people.update")
    def update_labourer(self, person_id: str, changes: dict, idempotency_key: str) -> dict:
        """Change what is recorded of a person: any roster column but the ID number (a record
        with a wrong ID number is merged into the right one). Every change becomes history;
        the four clears' confirmation date moves even when nothing changed."""
        if not isinstance(changes, dict) or not changes:
            raise InvalidInput({"changes": ["the columns to change, by name"]})
        if "id_number" in changes:
            raise InvalidInput({"id_number": ["cannot change: merge the records instead"]})
        moving = {"village_code", "village", "village_group"} & set(changes)
        if group_scope(self.access.principal) and moving:
            raise OutOfScope(message_en="an agent cannot move people out of their group")
        context = self._people_context()

        def execute(uow):
            record = people.changeable_labourer(uow, self.access.principal, person_id)
            row = {
                "name": record.name,
                "id_number": self.data_key.decrypt(record.id_sealed),
                "village_code": record.village_code,
            } | changes
            if "village" in changes and "village_code" not in changes:
                del row["village_code"]  # moved by the village's name
            # The village the person is recorded in stays acceptable, even retired since.
            villages = VillageBook.load(uow.connection, context.scope)
            person = self._parse_one(self._parser(villages.keeping(record.village_code)), row)
            self.access.require_in_scope(person.village_code)
            outcome = registration.apply_people(uow, [(0, person)], context, register_only=False)
            registration.raise_first_refusal(outcome)
            return self._labourer_reply(uow, people.get_labourer(uow, person_id))

        request = {"person_id": person_id, "changes": changes}
        return self._reveal(self._command("update_labourer", idempotency_key, request, execute))

    @rpc(permission="people.update")
    def confirm_four_clears(self, person_id: str, idempotency_key: str) -> dict:
        """Record that a person's four clears were checked and are still true."""
        caller = self.context.caller()

        def execute(uow):
            record = people.changeable_labourer(uow, self.access.principal, person_id)
            people.confirm(uow, record, caller)
            return self._labourer_reply(uow, people.get_labourer(uow, person_id))

        request = {"person_id": person_id}
        return self._reveal(self._command("confirm_four_clears", idempotency_key, request, execute))

    @rpc(permission="labourers.read")
    def get_labourer(self, person_id: str) -> dict:
        principal = self.access.principal
        with self.db.reader() as uow:
            record = people.visible_labourer(uow, principal, person_id)
            return self._reveal(
                self._labourer_reply(uow, record), company_sees(uow, principal, [person_id])
            )

    @rpc(permission="labourers.read")
    def check_age(
        self, person_id: str, on: str, min_age: int | None = None, max_age: int | None = None
    ) -> dict:
        """Whether a person's exact age on a date lies within limits: pass or fail and nothing
        more, and only to a caller who may see this person unmasked. The birth date itself
        stays inside the sealed ID number (docs/access.md "Masked forms")."""
        day, limits = _age_check_request(on, min_age, max_age)
        principal = self.access.principal
        with self.db.reader() as uow:
            record = people.visible_labourer(uow, principal, person_id)
            seen_by_company = company_sees(uow, principal, [person_id])
        if not (principal.sees_unmasked(record.village_code) or seen_by_company):
            raise Forbidden(
                message_en="only those who see this person's ID number in full may check an "
                "exact age",
                message_zh="只有可查看此人完整身份证号的人员才能核验确切年龄",
            )
        born = id_number_birth_date(self.data_key.decrypt(record.id_sealed))
        return {
            "person_id": person_id,
            "on": day.isoformat(),
            "min_age": limits[0],
            "max_age": limits[1],
            "passes": within_age(born, day, *limits),
        }

    @rpc(permission="labourers.disclose")
    def disclose_labourer(self, person_id: str, reason: str) -> dict:
        """An auditor's look at one person's ID number and phone in full, for a stated reason.
        The disclosure is recorded (who, when, why) and committed before anything is shown.
        Not keyed: every call is a disclosure, and a stored reply would keep the numbers."""
        reason = reason.strip() if isinstance(reason, str) else ""
        if not MIN_REASON <= len(reason) <= 500:
            raise InvalidInput({"reason": [f"why they are needed, {MIN_REASON} to 500 characters"]})
        caller, principal = self.context.caller(), self.access.principal
        with self.db.unit_of_work() as uow:
            record = people.visible_labourer(uow, self.access.principal, person_id)
            disclosure = people.record_disclosure(
                uow, person_id, caller, principal.organisation_id, reason
            )
            uow.commit()
        return {
            "person_id": person_id,
            "name": record.name,
            "village_code": record.village_code,
            "id_number": self.data_key.decrypt(record.id_sealed),
            "phone": (self.data_key.decrypt(record.phone_sealed) if record.phone_sealed else None),
            "disclosure": disclosure_reply(disclosure),
        }

    @rpc(permission="audit.read")
    def list_disclosures(self, person_id: str | None = None, limit: int = 100) -> list:
        """Who was shown which person's numbers, when and why; the newest first."""
        if not isinstance(limit, int) or not 1 <= limit <= MAX_BATCH:
            raise InvalidInput({"limit": [f"1 to {MAX_BATCH}"]})
        with self.db.reader() as uow:
            if person_id is not None:
                people.visible_labourer(uow, self.access.principal, person_id)
            return [disclosure_reply(d) for d in people.list_disclosures(uow, person_id, limit)]

    @rpc(permission="labourers.read")
    def labourer_history(self, person_id: str) -> list:
        """Every change to a person, oldest first: field, before, after, who, when, why."""
        with self.db.reader() as uow:
            people.visible_labourer(uow, self.access.principal, person_id)
            return [history_reply(entry) for entry in people.history(uow, "labourer", person_id)]

    @rpc(permission="labourers.read")
    def search_labourers(self, filters: dict | None = None, after: str | None = None,
                         limit: int = 100) -> dict:  # fmt: skip
        """Labourers in the caller's area matching every filter given, in person-id order;
        pass the last person id back as `after` for the next page."""
        if not isinstance(limit, int) or not 1 <= limit <= MAX_BATCH:
            raise InvalidInput({"limit": [f"1 to {MAX_BATCH}"]})
        criteria = criteria_from(filters or {}, self.access, configured()["STALE_AFTER_DAYS"])
        with self.db.reader() as uow:
            rows = people.search(uow, criteria, after=after, limit=limit)
            lexicon = load_lexicon(uow.connection)
            seen = company_sees(uow, self.access.principal, [row.person_id for row in rows])
            return {
                "labourers": [
                    self._reveal(self._labourer_reply(uow, row, lexicon), seen) for row in rows
                ],
                "next": rows[-1].person_id if len(rows) == limit else None,
            }

    @rpc(permission="labourers.read")
    def labourer_counts(self, by: str = "village", filters: dict | None = None) -> list:
        """Dashboard counts per village or township of the caller's area: labour force, poor
        labour force, willing to go out and not working, transferred (working away)."""
        if by not in ("village", "township"):
            raise InvalidInput({"by": ["village or township"]})
        criteria = criteria_from(filters or {}, self.access, configured()["STALE_AFTER_DAYS"])
        with self.db.reader() as uow:
            return people.counts(uow, criteria, by)

    @rpc(permission="labourers.read")
    def count_labourers(self, village_code: str | None = None) -> dict:
        """How many labourers in the caller's area, or in one place of it."""
        filters = {"area": village_code} if village_code is not None else {}
        with self.db.reader() as uow:
            rows = people.counts(
                uow,
                criteria_from(filters, self.access, configured()["STALE_AFTER_DAYS"]),
                "village",
            )
        return {"labourers": sum(row["labour_force"] for row in rows)}

    @rpc(permission="labourers.register")
    def merge_labourers(
        self, keep_person_id: str, merged_person_id: str, reason: str, idempotency_key: str
    ) -> dict:
        """Fold a record later found to be the same person into the one to keep; other
        services fold theirs on `labourer_merged`."""
        if not isinstance(reason, str) or not reason.strip():
            raise InvalidInput({"reason": ["say why these are one person"]})
        caller = self.context.caller()

        def execute(uow):
            for person_id in (keep_person_id, merged_person_id):
                people.visible_labourer(uow, self.access.principal, person_id)
            kept = people.merge_labourers(
                uow, keep_person_id, merged_person_id, reason.strip(), caller
            )
            return self._labourer_reply(uow, kept)

        request = {"keep": keep_person_id, "merged": merged_person_id, "reason": reason}
        return self._reveal(self._command("merge_labourers", idempotency_key, request, execute))
