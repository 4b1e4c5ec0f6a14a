"""The directory's entrypoints: sign-in and one's own account, organisations and village
groups, users, seals and signing keys.

Users are read with the data key (`self.data_key`): their phones and emails are stored sealed
and shown masked."""

from __future__ import annotations

from datetime import timedelta

from nameko import config

from registry.directory import domain as d
from registry.directory import seal_use_cases as seals
from registry.directory import sign_in as account
from registry.directory import use_cases as directory
from registry.directory.bank_account_use_cases import organisation_view
from registry.directory.repository import DirectoryRepository
from registry.directory.revocation import revoke_tokens
from registry.exceptions import OrganisationNotFound, UserNotFound
from registry.parts import RegistryPart
from registry.schemas import (
    CreateUserSchema,
    OrganisationSchema,
    RegisterOrganisationSchema,
    SigningKeySchema,
    UserSchema,
    VillageGroupSchema,
)
from registry.settings import configured
from sanbao_common.errors import InvalidInput
from sanbao_common.rpc import load, rpc
from sanbao_common.validators import InvalidCode, parse_division_code

_org, _user, _group, _key = (
    OrganisationSchema(),
    UserSchema(),
    VillageGroupSchema(),
    SigningKeySchema(),
)


def _division(code: str, field: str):
    try:
        return parse_division_code(code)
    except (InvalidCode, TypeError) as exc:
        raise InvalidInput({field: [str(exc)]}) from None


class DirectoryEntrypoints(RegistryPart):
    # -- sign-in -------------------------------------------------------------------------------

    @rpc(public=True)
    def login(self, username: str, password: str, totp: str | None = None) -> dict:
        settings = configured()
        token, principal = account.sign_in(
            self.db,
            self.data_key,
            username,
            password,
            totp,
            county=config["COUNTY"],
            signing_key=self.token_key,
            ttl=timedelta(seconds=settings["TOKEN_TTL_SECONDS"]),
            policy=account.sign_in_policy(settings),
            scrypt_n=settings["PASSWORD_SCRYPT_N"],
        )
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
    def change_password(self, old_password: str, new_password: str, totp: str | None = None):
        """A wrong old password (or `totp` code, once the caller has a second factor) counts
        toward the lockout, as at sign-in."""
        settings, principal = configured(), self.access.principal
        proven = account.prove_password_change(
            self.db,
            self.data_key,
            principal,
            old_password,
            totp,
            new_password,
            account.sign_in_policy(settings),
            settings["PASSWORD_SCRYPT_N"],
        )
        with self.db.unit_of_work() as uow:
            account.change_password(uow, principal, proven)
            # Every token issued so far stops working, this one included: whoever else held
            # the old password is out too.
            revoke_tokens(uow, self.context.caller(), [self.access.principal], "password_changed")
            uow.commit()
        return {"changed": True, "sign_in_again": True}

    @rpc(permission="account.manage_own")
    def start_totp(self, password: str, totp: str | None = None) -> dict:
        """A new TOTP secret for the caller's authenticator app, active once confirmed. Needs
        the password, and the current code when replacing a second factor: a token alone
        cannot change how its holder proves who they are."""
        from sanbao_common.crypto import totp_uri

        principal = self.access.principal
        secret, replacing = account.start_totp(
            self.db, self.data_key, principal, password, totp, account.sign_in_policy(configured())
        )
        return {
            "secret": secret,
            "uri": totp_uri(secret, principal.username),
            "replacing": replacing,
        }

    @rpc(permission="account.manage_own")
    def confirm_totp(self, code: str, password: str, totp: str | None = None) -> dict:
        """`code` from the new secret; the password, and the current code when replacing."""
        account.confirm_totp(
            self.db,
            self.data_key,
            self.access.principal,
            code,
            password,
            totp,
            account.sign_in_policy(configured()),
        )
        return {"totp_enabled": True}

    # -- organisations -------------------------------------------------------------------------

    @rpc(permission="directory.manage")
    def register_organisation(self, organisation: dict, idempotency_key: str) -> dict:
        data, caller = load(RegisterOrganisationSchema(), organisation), self.context.caller()
        return self._command(
            "register_organisation",
            idempotency_key,
            organisation,
            lambda uow: _org.dump(directory.register_organisation(uow, caller, data)),
        )

    @rpc(permission="directory.manage")
    def deactivate_organisation(self, org_id: str, reason: str, idempotency_key: str) -> dict:
        caller = self.context.caller()
        return self._command(
            "deactivate_organisation",
            idempotency_key,
            [org_id, reason],
            lambda uow: _org.dump(directory.deactivate_organisation(uow, caller, org_id, reason)),
        )

    @rpc(permission="directory.manage")
    def restore_organisation(self, org_id: str, reason: str, idempotency_key: str) -> dict:
        caller = self.context.caller()
        return self._command(
            "restore_organisation",
            idempotency_key,
            [org_id, reason],
            lambda uow: _org.dump(directory.restore_organisation(uow, caller, org_id, reason)),
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
                directory.move_village(uow, caller, org_id, township_id, code, reason)
            ),
        )

    @rpc(permission="directory.read")
    def get_organisation(self, org_id: str) -> dict:
        """With its bank account (and the ones before: registry.directory.bank_accounts)."""
        with self.db.reader() as uow:
            repo = DirectoryRepository(uow.connection)
            org = repo.organisation(org_id)
            if org is None:
                raise OrganisationNotFound(org_id=org_id)
            history, principal = repo.history(org_id), self.access.principal
            return organisation_view(uow.connection, org, history, principal)

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
                directory.register_village_group(uow, caller, village_org_id, number, name)
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
        """A new user with a one-time password, shown in this reply only: a retry with the same
        key answers `password_shown: false` (the stored reply never holds it)."""
        data, caller = load(CreateUserSchema(), user), self.context.caller()
        credentials = directory.one_time_password(configured()["PASSWORD_SCRYPT_N"])

        def execute(uow):
            created, password = directory.create_user(uow, caller, data, credentials, self.data_key)
            return dict(_user.dump(created), one_time_password=password, password_shown=True)

        return self._command(
            "create_user", idempotency_key, user, execute, stored=d.withhold_password
        )

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
                directory.change_user(
                    uow,
                    caller,
                    user_id,
                    roles=roles,
                    village_group=village_group,
                    key=self.data_key,
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
                directory.change_user(uow, caller, user_id, active=active, key=self.data_key)
            ),
        )

    @rpc(permission="users.manage")
    def reset_user_password(self, user_id: str, idempotency_key: str) -> dict:
        """A new one-time password, shown in this reply only (as `create_user`)."""
        caller = self.context.caller()
        credentials = directory.one_time_password(configured()["PASSWORD_SCRYPT_N"])

        def execute(uow):
            user, password = directory.reset_password(
                uow, caller, user_id, credentials, self.data_key
            )
            return dict(_user.dump(user), one_time_password=password, password_shown=True)

        return self._command(
            "reset_user_password", idempotency_key, [user_id], execute, stored=d.withhold_password
        )

    @rpc(permission="users.read")
    def list_users(self, org_id: str | None = None) -> list:
        with self.db.reader() as uow:
            users = DirectoryRepository(uow.connection, self.data_key).users(org_id)
            return _user.dump(users, many=True)

    @rpc(permission="users.read")
    def get_user(self, user_id: str) -> dict:
        with self.db.reader() as uow:
            repo = DirectoryRepository(uow.connection, self.data_key)
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
            lambda uow: seals.register_seal(uow, caller, principal, org_id, statement, signature),
        )

    @rpc(permission="seals.confirm")
    def confirm_seal(self, confirmation: dict, signature: str, idempotency_key: str) -> dict:
        """A seal registrar's confirmation, signed with a registrar key pinned in configuration."""
        caller, principal = self.context.caller(), self.access.principal
        return self._command(
            "confirm_seal",
            idempotency_key,
            [confirmation, signature],
            lambda uow: seals.confirm_seal(
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
            lambda uow: seals.revoke_seal(
                uow, caller, principal, statement, signature, self.registrar_keys
            ),
        )

    @rpc(permission="directory.read")
    def list_seals(self, status: str | None = None, org_id: str | None = None) -> list:
        """Seals and their state; `status="pending"` is the registrar's queue."""
        with self.db.reader() as uow:
            return [
                seals.seal_view(row)
                for row in DirectoryRepository(uow.connection).seals(org_id, status)
            ]

    @rpc(permission="audit.read")
    def audit_seals(self) -> list:
        """Every seal and certificate that would not pass today's rules, and why."""
        with self.db.reader() as uow:
            return seals.audit_seals(uow, config["COUNTY"], self.registrar_keys)

    @rpc(permission="seals.submit")
    def enroll_signing_key(self, statement: dict, signature: str, idempotency_key: str) -> dict:
        caller = self.context.caller()
        return self._command(
            "enroll_signing_key",
            idempotency_key,
            [statement, signature],
            lambda uow: seals.enroll_signing_key(
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
            lambda uow: seals.revoke_signing_key(
                uow, caller, statement, signature, self.registrar_keys
            ),
        )

    @rpc(permission="directory.read")
    def list_signing_keys(self, org_id: str | None = None) -> list:
        with self.db.reader() as uow:
            return _key.dump(DirectoryRepository(uow.connection).signing_keys(org_id), many=True)
