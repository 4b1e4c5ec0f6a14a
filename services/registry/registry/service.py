"""The registry service: entrypoints only. Each one checks the caller, validates, runs a handler
in one unit of work, and dumps a reply."""

from __future__ import annotations

from datetime import timedelta

from marshmallow import ValidationError
from nameko import config

from registry import __version__, directory_handlers, handlers, metrics, witness
from registry.adapters.directory_repository import DirectoryRepository
from registry.adapters.token_signer import TokenSigner
from registry.exceptions import LabourerNotFound, OrganisationNotFound, UserNotFound
from registry.schemas import (
    CreateUserSchema,
    LabourerSchema,
    OrganisationSchema,
    RegisterLabourerSchema,
    RegisterOrganisationSchema,
    SigningKeySchema,
    UserSchema,
    VillageGroupSchema,
)
from sanbao_common.access import AREA_KINDS, OutOfScope
from sanbao_common.base import ServiceBase
from sanbao_common.errors import InvalidInput, describe_field_errors
from sanbao_common.messaging.consumer import consume
from sanbao_common.messaging.idempotency import run_command
from sanbao_common.messaging.outbox import OutboxRelay, replay_to_queue
from sanbao_common.rpc import load, rpc
from sanbao_common.validators import InvalidCode, parse_division_code

MAX_BATCH = 1000
_labourer = LabourerSchema()
_org, _user, _group, _key = (
    OrganisationSchema(),
    UserSchema(),
    VillageGroupSchema(),
    SigningKeySchema(),
)


def _settings() -> dict:
    return config["registry"]


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

    def _command(self, method: str, key: str, request, execute):
        return run_command(self.db, self.name, method, key, request, execute)

    def _labourer_reply(self, labourer) -> dict:
        reply = _labourer.dump(labourer)
        if self.access.principal.sees_unmasked(labourer.village_code):
            reply.update(id_number=labourer.id_number, phone=labourer.phone)
        return reply

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
        caller = self.context.caller()
        return self._command(
            "register_seal",
            idempotency_key,
            [org_id, statement, signature],
            lambda uow: directory_handlers.register_seal(uow, caller, org_id, statement, signature),
        )

    @rpc(permission="seals.submit")
    def enroll_signing_key(self, statement: dict, signature: str, idempotency_key: str) -> dict:
        caller = self.context.caller()
        return self._command(
            "enroll_signing_key",
            idempotency_key,
            [statement, signature],
            lambda uow: directory_handlers.enroll_signing_key(uow, caller, statement, signature),
        )

    @rpc(permission="seals.submit")
    def revoke_signing_key(self, statement: dict, signature: str, idempotency_key: str) -> dict:
        caller = self.context.caller()
        return self._command(
            "revoke_signing_key",
            idempotency_key,
            [statement, signature],
            lambda uow: directory_handlers.revoke_signing_key(uow, caller, statement, signature),
        )

    @rpc(permission="directory.read")
    def list_signing_keys(self, org_id: str | None = None) -> list:
        with self.db.reader() as uow:
            return _key.dump(DirectoryRepository(uow.connection).signing_keys(org_id), many=True)

    # -- labourers -----------------------------------------------------------------------------

    @rpc(permission="labourers.register")
    def register_labourer(self, labourer: dict, idempotency_key: str) -> dict:
        command = load(RegisterLabourerSchema(), labourer)
        self.access.require_in_scope(command["village_code"].code)
        caller = self.context.caller()

        def execute(uow):
            return self._labourer_reply(handlers.register_labourer(uow, command, caller))

        return self._command("register_labourer", idempotency_key, labourer, execute)

    @rpc(permission="labourers.register")
    def register_labourers(self, labourers: list, idempotency_key: str) -> dict:
        """Register many people in one transaction; each refused row says why."""
        if not isinstance(labourers, list) or not 1 <= len(labourers) <= MAX_BATCH:
            raise InvalidInput({"labourers": [f"a list of 1 to {MAX_BATCH} labourers"]})
        schema, caller = RegisterLabourerSchema(), self.context.caller()
        commands, positions, invalid = [], [], []
        for index, row in enumerate(labourers):
            try:
                command = schema.load(row if isinstance(row, dict) else {})
                self.access.require_in_scope(command["village_code"].code)
            except ValidationError as exc:
                invalid.append(
                    {
                        "index": index,
                        "code": InvalidInput.code,
                        "message": describe_field_errors(exc.messages),
                    }
                )
                continue
            except OutOfScope as exc:
                invalid.append({"index": index, "code": exc.code, "message": str(exc)})
                continue
            commands.append(command)
            positions.append(index)

        def execute(uow):
            registered, refused = handlers.register_labourers(uow, commands, caller)
            return {
                "registered": [self._labourer_reply(labourer) for labourer in registered],
                "refused": sorted(
                    invalid
                    + [
                        {"index": positions[i], "code": error.code, "message": str(error)}
                        for i, error in refused
                    ],
                    key=lambda row: row["index"],
                ),
            }

        return self._command("register_labourers", idempotency_key, labourers, execute)

    @rpc(permission="labourers.read")
    def get_labourer(self, person_id: str) -> dict:
        with self.db.reader() as uow:
            labourer = handlers.get_labourer(uow, person_id)
        if not self.access.principal.covers(labourer.village_code):
            raise LabourerNotFound(person_id=person_id)  # no hint that it exists elsewhere
        return self._labourer_reply(labourer)

    @rpc(permission="labourers.read")
    def count_labourers(self, village_code: str | None = None) -> dict:
        """How many labourers in the caller's area, or in one place of it."""
        principal = self.access.principal
        if village_code is not None:
            self.access.require_in_scope(_division(village_code, "village_code").code)
            under = village_code
        elif principal.organisation_kind in AREA_KINDS:
            under = principal.scope.split("-")[0]
        else:
            under = None
        with self.db.reader() as uow:
            return {"labourers": handlers.count_labourers(uow, under)}

    @rpc(permission="events.replay")
    def replay_events(self, request: dict) -> dict:
        """Publish the outbox's events again to one consumer queue (a consumer added later)."""
        return replay_to_queue(self.relay, request)

    # -- the county's witness of audit chains -------------------------------------------------

    @consume("fund", "audit_checkpoint")
    def handle_audit_checkpoint(self, uow, events) -> None:
        """Keep the fund's checkpoints where the fund's database cannot reach them."""
        witness.keep(uow, events)

    @rpc(permission="audit.read")
    def list_audit_checkpoints(self, source: str) -> list:
        with self.db.reader() as uow:
            return witness.checkpoints(uow, source)

    def refresh_gauges(self) -> None:
        with self.db.reader() as uow:
            metrics.labourers_registered.set(handlers.count_labourers(uow))
