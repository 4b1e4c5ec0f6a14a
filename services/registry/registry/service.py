"""The registry service: entrypoints only. Each one checks the caller, validates, runs a handler
in one unit of work, and dumps a reply."""

from __future__ import annotations

import base64
import binascii
import hashlib
from datetime import UTC, date, datetime, timedelta

from nameko import config

from registry import __version__, directory_handlers, handlers, measure_handlers, metrics, witness
from registry.adapters.data_key import DataKeyProvider
from registry.adapters.directory_repository import DirectoryRepository
from registry.adapters.people_repository import Criteria
from registry.adapters.roster_imports import RosterImports
from registry.adapters.token_signer import TokenSigner
from registry.domain.measures import is_overdue
from registry.domain.people import (
    ASPECTS,
    INPUT_COLUMNS,
    Parser,
    PersonInput,
    RowProblem,
    within_age,
)
from registry.exceptions import (
    ImportNotFound,
    LabourerMerged,
    LabourerNotFound,
    OrganisationNotFound,
    UserNotFound,
)
from registry.people_replies import (
    MAX_ROSTER_BYTES,
    criteria_from,
    disclosure_reply,
    group_scope,
    history_reply,
    iso,
    refusal,
    status_reply,
    text_fields,
)
from registry.roster_export import TEXT_COLUMNS, export_headers, export_rows
from registry.roster_import import COUNTY_TIME, rules_for
from registry.rosters.writing import error_report, write_table
from registry.schemas import (
    CreateUserSchema,
    MeasureChangeSchema,
    NewMeasureSchema,
    OrganisationSchema,
    RegisterOrganisationSchema,
    SigningKeySchema,
    UserSchema,
    VillageGroupSchema,
)
from sanbao_common.access import AREA_KINDS, Forbidden, OutOfScope
from sanbao_common.base import ServiceBase
from sanbao_common.errors import InvalidInput
from sanbao_common.messaging.consumer import consume
from sanbao_common.messaging.idempotency import run_command
from sanbao_common.messaging.outbox import OutboxRelay, replay_to_queue
from sanbao_common.rpc import load, rpc
from sanbao_common.seals import RegistrarKeys
from sanbao_common.validators import InvalidCode, id_number_birth_date, parse_division_code

MAX_BATCH = 1000
MIN_REASON = 4  # "核查身份" is a reason; "x" is not
INPUT_COLUMN_SET = frozenset(INPUT_COLUMNS)
_org, _user, _group, _key = (
    OrganisationSchema(),
    UserSchema(),
    VillageGroupSchema(),
    SigningKeySchema(),
)


def _settings() -> dict:
    return config["registry"]


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


def _division(code: str, field: str):
    try:
        return parse_division_code(code)
    except (InvalidCode, TypeError) as exc:
        raise InvalidInput({field: [str(exc)]}) from None


class RegistryService(ServiceBase):
    name = "registry"
    version = __version__

    relay = OutboxRelay()
    token_key = TokenSigner()
    data_key = DataKeyProvider()
    roster_imports = RosterImports()
    registrar_keys = RegistrarKeys()

    def _command(self, method: str, key: str, request, execute):
        return run_command(self.db, self.name, method, key, request, execute)

    # -- sign-in -------------------------------------------------------------------------------

    @rpc(public=True)
    def login(self, username: str, password: str, totp: str | None = None) -> dict:
        settings = _settings()
        with self.db.unit_of_work() as uow:
            token, principal = directory_handlers.sign_in(
                uow,
                username,
                password,
                totp,
                county=config["COUNTY"],
                signing_key=self.token_key,
                ttl=timedelta(seconds=settings["TOKEN_TTL_SECONDS"]),
                max_failures=settings["LOGIN_MAX_FAILURES"],
                lockout=timedelta(seconds=settings["LOGIN_LOCKOUT_SECONDS"]),
            )
            uow.commit()
        return {
            "token": token,
            "expires_at": principal.expires_at,
            "username": principal.username,
            "roles": list(principal.roles),
            "scope": principal.scope,
            "must_change_password": principal.must_change_password,
        }

    @rpc(permission="account.manage_own")
    def whoami(self) -> dict:
        principal = self.access.principal
        return {
            "user_id": principal.user_id,
            "username": principal.username,
            "organisation_id": principal.organisation_id,
            "roles": list(principal.roles),
            "scope": principal.scope,
            "expires_at": principal.expires_at,
        }

    @rpc(permission="account.manage_own")
    def change_password(self, old_password: str, new_password: str) -> dict:
        with self.db.unit_of_work() as uow:
            directory_handlers.change_password(
                uow,
                self.access.principal,
                old_password,
                new_password,
                _settings()["PASSWORD_SCRYPT_N"],
            )
            uow.commit()
        return {"changed": True, "sign_in_again": True}

    @rpc(permission="account.manage_own")
    def start_totp(self) -> dict:
        """A new TOTP secret for the caller's authenticator app; active once confirmed."""
        from sanbao_common.crypto import totp_uri

        with self.db.unit_of_work() as uow:
            secret = directory_handlers.start_totp(uow, self.access.principal)
            uow.commit()
        return {"secret": secret, "uri": totp_uri(secret, self.access.principal.username)}

    @rpc(permission="account.manage_own")
    def confirm_totp(self, code: str) -> dict:
        with self.db.unit_of_work() as uow:
            directory_handlers.confirm_totp(uow, self.access.principal, code)
            uow.commit()
        return {"totp_enabled": True}

    # -- organisations -------------------------------------------------------------------------

    @rpc(permission="directory.manage")
    def register_organisation(self, organisation: dict, idempotency_key: str) -> dict:
        data, caller = load(RegisterOrganisationSchema(), organisation), self.context.caller()
        return self._command(
            "register_organisation",
            idempotency_key,
            organisation,
            lambda uow: _org.dump(directory_handlers.register_organisation(uow, caller, data)),
        )

    @rpc(permission="directory.manage")
    def deactivate_organisation(self, org_id: str, reason: str, idempotency_key: str) -> dict:
        caller = self.context.caller()
        return self._command(
            "deactivate_organisation",
            idempotency_key,
            [org_id, reason],
            lambda uow: _org.dump(
                directory_handlers.deactivate_organisation(uow, caller, org_id, reason)
            ),
        )

    @rpc(permission="directory.manage")
    def restore_organisation(self, org_id: str, reason: str, idempotency_key: str) -> dict:
        caller = self.context.caller()
        return self._command(
            "restore_organisation",
            idempotency_key,
            [org_id, reason],
            lambda uow: _org.dump(
                directory_handlers.restore_organisation(uow, caller, org_id, reason)
            ),
        )

    @rpc(permission="directory.manage")
    def move_village(
        self, org_id: str, township_id: str, new_code: str, reason: str, idempotency_key: str
    ) -> dict:
        caller, code = self.context.caller(), _division(new_code, "new_code")
        return self._command(
            "move_village",
            idempotency_key,
            [org_id, township_id, new_code, reason],
            lambda uow: _org.dump(
                directory_handlers.move_village(uow, caller, org_id, township_id, code, reason)
            ),
        )

    @rpc(permission="directory.read")
    def get_organisation(self, org_id: str) -> dict:
        with self.db.reader() as uow:
            repo = DirectoryRepository(uow.connection)
            org = repo.organisation(org_id)
            if org is None:
                raise OrganisationNotFound(org_id=org_id)
            return dict(_org.dump(org), history=repo.history(org_id))

    @rpc(permission="directory.read")
    def list_organisations(self, kind: str | None = None, under: str | None = None) -> list:
        with self.db.reader() as uow:
            return _org.dump(
                DirectoryRepository(uow.connection).organisations(kind, under), many=True
            )

    @rpc(permission="directory.manage")
    def register_village_group(
        self, village_org_id: str, number: int, name: str, idempotency_key: str
    ) -> dict:
        if type(number) is not int:
            raise InvalidInput({"number": ["a whole number, 1 to 99"]})
        caller = self.context.caller()
        return self._command(
            "register_village_group",
            idempotency_key,
            [village_org_id, number, name],
            lambda uow: _group.dump(
                directory_handlers.register_village_group(uow, caller, village_org_id, number, name)
            ),
        )

    @rpc(permission="directory.read")
    def agent_coverage(self, under: str | None = None) -> dict:
        """Village groups with no agent: the guidance asks for at least one or two in each."""
        with self.db.reader() as uow:
            repo = DirectoryRepository(uow.connection)
            groups = repo.groups(under)
            uncovered = repo.groups_without_agent(under)
        return {
            "groups": len([g for g in groups if g.active]),
            "without_agent": _group.dump(uncovered, many=True),
        }

    # -- users ---------------------------------------------------------------------------------

    @rpc(permission="users.manage")
    def create_user(self, user: dict, idempotency_key: str) -> dict:
        """A new user with a one-time password, shown in this reply only."""
        data, caller = load(CreateUserSchema(), user), self.context.caller()

        def execute(uow):
            created, password = directory_handlers.create_user(
                uow, caller, data, _settings()["PASSWORD_SCRYPT_N"]
            )
            return dict(_user.dump(created), one_time_password=password)

        return self._command("create_user", idempotency_key, user, execute)

    @rpc(permission="users.manage")
    def change_user_roles(
        self, user_id: str, roles: list, village_group: str | None, idempotency_key: str
    ) -> dict:
        caller = self.context.caller()
        return self._command(
            "change_user_roles",
            idempotency_key,
            [user_id, roles, village_group],
            lambda uow: _user.dump(
                directory_handlers.change_user(
                    uow, caller, user_id, roles=roles, village_group=village_group
                )
            ),
        )

    @rpc(permission="users.manage")
    def set_user_active(self, user_id: str, active: bool, idempotency_key: str) -> dict:
        caller = self.context.caller()
        return self._command(
            "set_user_active",
            idempotency_key,
            [user_id, bool(active)],
            lambda uow: _user.dump(
                directory_handlers.change_user(uow, caller, user_id, active=active)
            ),
        )

    @rpc(permission="users.manage")
    def reset_user_password(self, user_id: str, idempotency_key: str) -> dict:
        caller = self.context.caller()

        def execute(uow):
            user, password = directory_handlers.reset_password(
                uow, caller, user_id, _settings()["PASSWORD_SCRYPT_N"]
            )
            return dict(_user.dump(user), one_time_password=password)

        return self._command("reset_user_password", idempotency_key, [user_id], execute)

    @rpc(permission="users.read")
    def list_users(self, org_id: str | None = None) -> list:
        with self.db.reader() as uow:
            return _user.dump(DirectoryRepository(uow.connection).users(org_id), many=True)

    @rpc(permission="users.read")
    def get_user(self, user_id: str) -> dict:
        with self.db.reader() as uow:
            repo = DirectoryRepository(uow.connection)
            user = repo.user(user_id)
            if user is None:
                raise UserNotFound(user_id=user_id)
            return dict(_user.dump(user), history=repo.history(user_id))

    # -- seals and signing keys ----------------------------------------------------------------

    @rpc(permission="seals.submit")
    def register_seal(self, org_id: str, statement: dict, signature: str, idempotency_key: str):
        """Submit your organisation's seal; it counts once a seal registrar confirms it."""
        caller, principal = self.context.caller(), self.access.principal
        return self._command(
            "register_seal",
            idempotency_key,
            [org_id, statement, signature],
            lambda uow: directory_handlers.register_seal(
                uow, caller, principal, org_id, statement, signature
            ),
        )

    @rpc(permission="seals.confirm")
    def confirm_seal(self, confirmation: dict, signature: str, idempotency_key: str) -> dict:
        """A seal registrar's confirmation, signed with a registrar key pinned in configuration."""
        caller, principal = self.context.caller(), self.access.principal
        return self._command(
            "confirm_seal",
            idempotency_key,
            [confirmation, signature],
            lambda uow: directory_handlers.confirm_seal(
                uow, caller, principal, confirmation, signature, self.registrar_keys
            ),
        )

    @rpc(permission="seals.submit")
    def revoke_seal(self, statement: dict, signature: str, idempotency_key: str) -> dict:
        """A seal registrar's signed revocation of a lost or squatted seal."""
        caller, principal = self.context.caller(), self.access.principal
        return self._command(
            "revoke_seal",
            idempotency_key,
            [statement, signature],
            lambda uow: directory_handlers.revoke_seal(
                uow, caller, principal, statement, signature, self.registrar_keys
            ),
        )

    @rpc(permission="directory.read")
    def list_seals(self, status: str | None = None, org_id: str | None = None) -> list:
        """Seals and their state; `status="pending"` is the registrar's queue."""
        with self.db.reader() as uow:
            return [
                directory_handlers.seal_view(row)
                for row in DirectoryRepository(uow.connection).seals(org_id, status)
            ]

    @rpc(permission="audit.read")
    def audit_seals(self) -> list:
        """Every seal and certificate that would not pass today's rules, and why."""
        with self.db.reader() as uow:
            return directory_handlers.audit_seals(uow, config["COUNTY"], self.registrar_keys)

    @rpc(permission="seals.submit")
    def enroll_signing_key(self, statement: dict, signature: str, idempotency_key: str) -> dict:
        caller = self.context.caller()
        return self._command(
            "enroll_signing_key",
            idempotency_key,
            [statement, signature],
            lambda uow: directory_handlers.enroll_signing_key(
                uow, caller, statement, signature, self.registrar_keys
            ),
        )

    @rpc(permission="seals.submit")
    def revoke_signing_key(self, statement: dict, signature: str, idempotency_key: str) -> dict:
        caller = self.context.caller()
        return self._command(
            "revoke_signing_key",
            idempotency_key,
            [statement, signature],
            lambda uow: directory_handlers.revoke_signing_key(
                uow, caller, statement, signature, self.registrar_keys
            ),
        )

    @rpc(permission="directory.read")
    def list_signing_keys(self, org_id: str | None = None) -> list:
        with self.db.reader() as uow:
            return _key.dump(DirectoryRepository(uow.connection).signing_keys(org_id), many=True)

    # -- people --------------------------------------------------------------------------------

    def _people_context(self) -> handlers.Context:
        principal = self.access.principal
        return handlers.Context(
            caller=self.context.caller(),
            key=self.data_key,
            scope=principal.scope if principal.organisation_kind in AREA_KINDS else None,
        )

    def _parser(self) -> Parser:
        return Parser(rules_for(config["COUNTY"], _settings(), datetime.now(UTC)))

    def _parse_one(self, parser: Parser, fields) -> PersonInput:
        person, problems = parser.parse(text_fields(fields, INPUT_COLUMN_SET))
        if problems:
            raise InvalidInput({p.column: [p.reason_en] for p in problems})
        return person

    def _labourer_reply(self, uow, record: dict) -> dict:
        household = handlers.household_of(uow, record)
        reply = handlers.snapshot(record, household)
        stale_before = handlers.stale_before(_settings()["STALE_AFTER_DAYS"])
        reply.update(
            skills=record["skills"],
            relation_to_head=record["relation_to_head"],
            household_number=household["household_number"] if household else None,
            poverty_file_number=household["poverty_file_number"] if household else None,
            employment_place=record["employment_place"],
            merged_into=record["merged_into"],
            four_clears={
                aspect: {"changed_at": iso(record[f"{aspect}_at"]), "by": record[f"{aspect}_by"]}
                for aspect in ASPECTS
            },
            confirmed_at=iso(record["confirmed_at"]),
            confirmed_by=record["confirmed_by"],
            stale=record["confirmed_at"] < stale_before,
            registered_at=iso(record["registered_at"]),
            registered_by=record["registered_by"],
        )
        # Sealed, so that a reply kept for retries reveals nothing; `_reveal` unseals.
        reply["_sealed"] = [record["id_sealed"], record["phone_sealed"]]
        return reply

    def _reveal(self, reply: dict) -> dict:
        """A labourer reply on its way out: ID number and phone in full for a caller whose
        role and area allow it (docs/access.md), masked for everyone else."""
        id_sealed, phone_sealed = reply.pop("_sealed")
        if self.access.principal.sees_unmasked(reply["village_code"]):
            reply["id_number"] = self.data_key.decrypt(id_sealed)
            reply["phone"] = self.data_key.decrypt(phone_sealed) if phone_sealed else None
        return reply

    def _visible(self, uow, person_id: str) -> dict:
        record = handlers.get_labourer(uow, person_id)
        principal = self.access.principal
        group = group_scope(principal)
        if not principal.covers(record["village_code"]) or (
            group and record["village_group"] != group
        ):
            raise LabourerNotFound(person_id=person_id)  # no hint that it exists elsewhere
        return record

    def _changeable(self, uow, person_id: str) -> dict:
        record = self._visible(uow, person_id)
        if record["status"] == "merged":
            raise LabourerMerged(person_id=person_id, merged_into=record["merged_into"])
        return record

    @rpc(permission="labourers.register")
    def register_labourer(self, labourer: dict, idempotency_key: str) -> dict:
        """Register one person; an ID number already registered is refused with its record."""
        person = self._parse_one(self._parser(), labourer)
        self.access.require_in_scope(person.village_code)
        context = self._people_context()

        def execute(uow):
            outcome = handlers.apply_people(uow, [(0, person)], context, register_only=True)
            handlers.raise_first_refusal(outcome)
            return self._labourer_reply(uow, handlers.get_labourer(uow, outcome.registered[0]))

        return self._reveal(self._command("register_labourer", idempotency_key, labourer, execute))

    @rpc(permission="labourers.register")
    def register_labourers(self, labourers: list, idempotency_key: str) -> dict:
        """Register many people in one transaction; each refused one says why."""
        if not isinstance(labourers, list) or not 1 <= len(labourers) <= MAX_BATCH:
            raise InvalidInput({"labourers": [f"a list of 1 to {MAX_BATCH} labourers"]})
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
            outcome = handlers.apply_people(uow, inputs, context, register_only=True)
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
        if group_scope(self.access.principal) and {"village_code", "village_group"} & set(changes):
            raise OutOfScope(message_en="an agent cannot move people out of their group")
        context, parser = self._people_context(), self._parser()

        def execute(uow):
            record = self._changeable(uow, person_id)
            row = {
                "name": record["name"],
                "id_number": self.data_key.decrypt(record["id_sealed"]),
                "village_code": record["village_code"],
            } | changes
            person = self._parse_one(parser, row)
            self.access.require_in_scope(person.village_code)
            outcome = handlers.apply_people(uow, [(0, person)], context, register_only=False)
            handlers.raise_first_refusal(outcome)
            return self._labourer_reply(uow, handlers.get_labourer(uow, person_id))

        request = {"person_id": person_id, "changes": changes}
        return self._reveal(self._command("update_labourer", idempotency_key, request, execute))

    @rpc(permission="people.update")
    def confirm_four_clears(self, person_id: str, idempotency_key: str) -> dict:
        """Record that a person's four clears were checked and are still true."""
        caller = self.context.caller()

        def execute(uow):
            record = self._changeable(uow, person_id)
            handlers.confirm(uow, record, caller)
            return self._labourer_reply(uow, handlers.get_labourer(uow, person_id))

        request = {"person_id": person_id}
        return self._reveal(self._command("confirm_four_clears", idempotency_key, request, execute))

    @rpc(permission="labourers.read")
    def get_labourer(self, person_id: str) -> dict:
        with self.db.reader() as uow:
            return self._reveal(self._labourer_reply(uow, self._visible(uow, person_id)))

    @rpc(permission="labourers.read")
    def check_age(
        self, person_id: str, on: str, min_age: int | None = None, max_age: int | None = None
    ) -> dict:
        """Whether a person's exact age on a date lies within limits: pass or fail and nothing
        more, and only to a caller who may see this person unmasked. The birth date itself
        stays inside the sealed ID number (docs/access.md "Masked forms")."""
        day, limits = _age_check_request(on, min_age, max_age)
        with self.db.reader() as uow:
            record = self._visible(uow, person_id)
        if not self.access.principal.sees_unmasked(record["village_code"]):
            raise Forbidden(
                message_en="only those who see this person's ID number in full may check an "
                "exact age",
                message_zh="只有可查看此人完整身份证号的人员才能核验确切年龄",
            )
        born = id_number_birth_date(self.data_key.decrypt(record["id_sealed"]))
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
            record = self._visible(uow, person_id)
            disclosure = handlers.record_disclosure(
                uow, person_id, caller, principal.organisation_id, reason
            )
            uow.commit()
        return {
            "person_id": person_id,
            "name": record["name"],
            "village_code": record["village_code"],
            "id_number": self.data_key.decrypt(record["id_sealed"]),
            "phone": (
                self.data_key.decrypt(record["phone_sealed"]) if record["phone_sealed"] else None
            ),
            "disclosure": disclosure_reply(disclosure),
        }

    @rpc(permission="audit.read")
    def list_disclosures(self, person_id: str | None = None, limit: int = 100) -> list:
        """Who was shown which person's numbers, when and why; the newest first."""
        if not isinstance(limit, int) or not 1 <= limit <= MAX_BATCH:
            raise InvalidInput({"limit": [f"1 to {MAX_BATCH}"]})
        with self.db.reader() as uow:
            if person_id is not None:
                self._visible(uow, person_id)
            return [disclosure_reply(d) for d in handlers.list_disclosures(uow, person_id, limit)]

    @rpc(permission="labourers.read")
    def labourer_history(self, person_id: str) -> list:
        """Every change to a person, oldest first: field, before, after, who, when, why."""
        with self.db.reader() as uow:
            self._visible(uow, person_id)
            return [history_reply(entry) for entry in handlers.history(uow, "labourer", person_id)]

    @rpc(permission="labourers.read")
    def search_labourers(self, filters: dict | None = None, after: str | None = None,
                         limit: int = 100) -> dict:  # fmt: skip
        """Labourers in the caller's area matching every filter given, in person-id order;
        pass the last person id back as `after` for the next page."""
        if not isinstance(limit, int) or not 1 <= limit <= MAX_BATCH:
            raise InvalidInput({"limit": [f"1 to {MAX_BATCH}"]})
        criteria = self._criteria(filters or {})
        with self.db.reader() as uow:
            rows = handlers.search(uow, criteria, after=after, limit=limit)
            return {
                "labourers": [self._reveal(self._labourer_reply(uow, row)) for row in rows],
                "next": rows[-1]["person_id"] if len(rows) == limit else None,
            }

    @rpc(permission="labourers.read")
    def labourer_counts(self, by: str = "village", filters: dict | None = None) -> list:
        """Dashboard counts per village or township of the caller's area: labour force, poor
        labour force, willing to go out and not working, transferred (working away)."""
        if by not in ("village", "township"):
            raise InvalidInput({"by": ["village or township"]})
        criteria = self._criteria(filters or {})
        with self.db.reader() as uow:
            return handlers.counts(uow, criteria, by)

    @rpc(permission="labourers.read")
    def count_labourers(self, village_code: str | None = None) -> dict:
        """How many labourers in the caller's area, or in one place of it."""
        filters = {"area": village_code} if village_code is not None else {}
        with self.db.reader() as uow:
            rows = handlers.counts(uow, self._criteria(filters), "village")
        return {"labourers": sum(row["labour_force"] for row in rows)}

    def _criteria(self, filters: dict) -> Criteria:
        return criteria_from(filters, self.access, _settings()["STALE_AFTER_DAYS"])

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
                self._visible(uow, person_id)
            kept = handlers.merge_labourers(
                uow, keep_person_id, merged_person_id, reason.strip(), caller
            )
            return self._labourer_reply(uow, kept)

        request = {"keep": keep_person_id, "merged": merged_person_id, "reason": reason}
        return self._reveal(self._command("merge_labourers", idempotency_key, request, execute))

    # -- one person, one measure ---------------------------------------------------------------

    def _measure_reply(self, measure: dict) -> dict:
        reply = {
            name: iso(v) if isinstance(v, date | datetime) else v for name, v in measure.items()
        }
        reply["overdue"] = is_overdue(measure, datetime.now(COUNTY_TIME).date())
        return reply

    @rpc(permission="people.update")
    def add_measure(self, person_id: str, measure: dict, idempotency_key: str) -> dict:
        """Plan a measure (training, referral, placement, subsidy) for a registered-poor
        labourer of the caller's area: who carries it out and by when."""
        fields = load(NewMeasureSchema(), measure)
        caller = self.context.caller()

        def execute(uow):
            labourer = self._changeable(uow, person_id)
            return self._measure_reply(measure_handlers.add_measure(uow, labourer, fields, caller))

        request = {"person_id": person_id, "measure": measure}
        return self._command("add_measure", idempotency_key, request, execute)

    @rpc(permission="people.update")
    def update_measure(self, measure_id: str, changes: dict, idempotency_key: str) -> dict:
        """Move a measure on (planned → in_progress → done, or cancelled with a note), or
        re-plan it (owner, due date, description); each change is history."""
        fields = load(MeasureChangeSchema(), changes)
        caller = self.context.caller()

        def execute(uow):
            measure = measure_handlers.get_measure(uow, measure_id)
            self._visible(uow, measure["person_id"])
            return self._measure_reply(
                measure_handlers.change_measure(uow, measure, fields, caller)
            )

        request = {"measure_id": measure_id, "changes": changes}
        return self._command("update_measure", idempotency_key, request, execute)

    @rpc(permission="labourers.read")
    def list_measures(self, person_id: str | None = None, overdue: bool = False) -> list:
        """A person's plan, or every measure of the caller's area (`overdue`: only those past
        their due date and not done or cancelled)."""
        principal = self.access.principal
        with self.db.reader() as uow:
            if person_id is not None:
                self._visible(uow, person_id)
            area = (
                principal.scope.split("-")[0] if principal.organisation_kind in AREA_KINDS else None
            )
            rows = measure_handlers.list_measures(
                uow,
                person_id=person_id,
                area=area,
                group=group_scope(principal),
                overdue_on=datetime.now(COUNTY_TIME).date() if overdue else None,
            )
        return [self._measure_reply(row) for row in rows]

    @rpc(permission="labourers.read")
    def measure_history(self, measure_id: str) -> list:
        with self.db.reader() as uow:
            measure = measure_handlers.get_measure(uow, measure_id)
            self._visible(uow, measure["person_id"])
            return [history_reply(h) for h in handlers.history(uow, "measure", measure_id)]

    # -- rosters ---------------------------------------------------------------------------------

    @rpc(permission="labourers.register")
    def start_roster_import(self, filename: str, content_base64: str, idempotency_key: str) -> dict:
        """Stage a township roster (CSV or XLSX): a file that cannot be read is refused now,
        whole; its rows are validated and applied in the background; follow it with
        `roster_import_status`."""
        try:
            data = base64.b64decode(content_base64, validate=True)
        except (binascii.Error, TypeError, ValueError):
            raise InvalidInput({"content_base64": ["not base64"]}) from None
        if len(data) > MAX_ROSTER_BYTES:
            raise InvalidInput({"content_base64": [f"larger than {MAX_ROSTER_BYTES} bytes"]})
        principal, caller = self.access.principal, self.context.caller()
        scope = principal.scope if principal.organisation_kind in AREA_KINDS else config["COUNTY"]
        importer = self.roster_imports.importer()
        staged = []

        def execute(uow):
            roster = importer.read(data, filename)  # refused whole here, if unreadable
            staged.append(roster)
            return status_reply(importer.stage(uow, data, filename, caller, scope, roster))

        request = {"filename": filename, "sha256": hashlib.sha256(data).hexdigest()}
        status = self._command("start_roster_import", idempotency_key, request, execute)
        if status["status"] in ("validating", "applying"):
            roster = staged[0] if staged else None  # a retry has no roster in hand
            self.roster_imports.apply_in_background(status["import_id"], caller, roster)
        return status

    def _import_state(self, import_id: str) -> dict:
        """An import, for a caller whose area covers the importer's."""
        state = self.roster_imports.importer().status(import_id)
        if not self.access.principal.covers(state["scope"].split("-")[0]):
            raise ImportNotFound(import_id=import_id)
        return state

    @rpc(permission="labourers.register")
    def roster_import_status(self, import_id: str) -> dict:
        return status_reply(self._import_state(import_id))

    @rpc(permission="labourers.register")
    def roster_import_errors(self, import_id: str, format: str = "xlsx") -> dict:
        """The refused rows as a file the operator opens in Excel: row, column, reason."""
        if format not in ("csv", "xlsx"):
            raise InvalidInput({"format": ["csv or xlsx"]})
        self._import_state(import_id)
        errors = self.roster_imports.importer().errors(import_id)
        content = error_report(
            format, [(e["row_number"], e["column"], e["reason"]) for e in errors]
        )
        return {"rows": len(errors), "content_base64": base64.b64encode(content).decode()}

    @rpc(permission="labourers.read")
    def export_labourers(self, filters: dict | None = None, format: str = "xlsx") -> dict:
        """The caller's area (or part of it) as a roster file in the import template's columns;
        ID numbers and phones unmasked only where the caller's role and area allow."""
        if format not in ("csv", "xlsx"):
            raise InvalidInput({"format": ["csv or xlsx"]})
        criteria = self._criteria(filters or {})
        with self.db.reader() as uow:
            rows, count = export_rows(
                uow, criteria, self.data_key, self.access.principal.sees_unmasked
            )
            content = write_table(format, export_headers(), rows, text_columns=TEXT_COLUMNS)
        return {"rows": count, "content_base64": base64.b64encode(content).decode()}

    @rpc(permission="events.replay")
    def replay_events(self, request: dict) -> dict:
        """Publish the outbox's events again to one consumer queue (a consumer added later)."""
        return replay_to_queue(self.relay, request)

    # -- the county's witness of audit chains -------------------------------------------------

    @consume("fund", "audit_checkpoint")
    def handle_audit_checkpoint(self, uow, events) -> None:
        """Keep the fund's checkpoints where the fund's database cannot reach them."""
        witness.keep(uow, events, _settings()["FUND_CHECKPOINT_PUBLIC_KEYS"], config["COUNTY"])

    @rpc(permission="audit.read")
    def list_audit_checkpoints(self, source: str) -> list:
        with self.db.reader() as uow:
            return witness.checkpoints(uow, source)

    def refresh_gauges(self) -> None:
        stale_before = handlers.stale_before(_settings()["STALE_AFTER_DAYS"])
        with self.db.reader() as uow:
            metrics.labourers_registered.set(handlers.count_labourers(uow))
            metrics.labourers_stale.set(handlers.count_labourers(uow, stale_before=stale_before))
            seal_counts = DirectoryRepository(uow.connection).seal_counts()
        for status in ("pending", "effective", "revoked", "superseded"):
            metrics.seals.labels(status).set(seal_counts.get(status, 0))
        for status, count in self.roster_imports.importer().count_by_status().items():
            metrics.roster_imports.labels(status).set(count)
