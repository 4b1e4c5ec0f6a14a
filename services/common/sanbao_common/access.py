"""Who may do what: roles, the permission matrix, actor tokens, and their check on every call.

A person signs in to registry and receives a short-lived token: their user, organisation, roles
and scope, signed with the county's Ed25519 token key. Every RPC call carries it (nameko context
data `token`); every service holds only the public half(s), so no service can mint one. The
matrix below is the one source of what each role may do, enforced by `@rpc(permission=...)`
and written out in docs/access.md (a test keeps the two the same).
"""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta

from nameko import config as nameko_config
from nameko.extensions import DependencyProvider

from sanbao_common.config import MAX_TOKEN_TTL_SECONDS
from sanbao_common.context import actor_var
from sanbao_common.crypto import load_public_key, signature_valid
from sanbao_common.db import Database
from sanbao_common.errors import DomainError
from sanbao_common.revocations import RevocationList

TOKEN_KEY = "token"
MAX_TOKEN_LIFE = timedelta(seconds=MAX_TOKEN_TTL_SECONDS)
TOKEN_PREFIX = "sb1"

COUNTY_ADMIN = "county_admin"
COOP_OPERATOR = "coop_operator"
AGENT = "agent"
HR_OPERATOR = "hr_operator"
SIGNATORY = "signatory"
FINANCE = "finance"
AUDITOR = "auditor"
ROLES = (COUNTY_ADMIN, COOP_OPERATOR, AGENT, HR_OPERATOR, SIGNATORY, FINANCE, AUDITOR)
# Granted by an organisation's seal certifying the person's key, never by an administrator.
SEAL_GRANTED_ROLES = frozenset({SIGNATORY})
EVERYONE = frozenset(ROLES)

# permission -> roles that have it. Scope (which area or company) is checked by the handler.
PERMISSIONS: dict[str, frozenset[str]] = {
    "health.read": EVERYONE,
    "account.manage_own": EVERYONE,
    "directory.read": EVERYONE,
    "directory.manage": frozenset({COUNTY_ADMIN}),
    # Where an organisation's money goes: a county administrator sets any organisation's bank
    # account, a finance person only their own organisation's (checked by registry).
    "directory.bank_accounts": frozenset({COUNTY_ADMIN, FINANCE}),
    "users.read": frozenset({COUNTY_ADMIN, AUDITOR}),
    "users.manage": frozenset({COUNTY_ADMIN}),
    # The seal's own signature is the authority, not the role; a seal is submitted by a member of
    # its organisation, and counts only once a registrar's key confirms it (docs/access.md).
    "seals.submit": EVERYONE,
    # Sending a registrar's signed confirmation: the finance bureau's people. The registrar key's
    # signature, pinned in configuration, is what counts.
    "seals.confirm": frozenset({AUDITOR}),
    "labourers.register": frozenset({COUNTY_ADMIN, COOP_OPERATOR}),
    "labourers.read": EVERYONE,
    # An auditor's look at one person's ID number and phone, for a stated reason, recorded.
    "labourers.disclose": frozenset({AUDITOR}),
    "people.update": frozenset({COUNTY_ADMIN, COOP_OPERATOR, AGENT}),
    "candidates.read": EVERYONE,
    # Cooperation agreements: the county cooperative drafts and amends them (its own people, or
    # the county's administrators); the seals' signatures over the exact terms are what make
    # one take effect, whoever relays them; everyone who works with dispatch or the fund reads.
    "agreements.draft": frozenset({COUNTY_ADMIN, COOP_OPERATOR}),
    "agreements.seal": EVERYONE,
    "agreements.read": frozenset(
        {COUNTY_ADMIN, COOP_OPERATOR, HR_OPERATOR, SIGNATORY, FINANCE, AUDITOR}
    ),
    # Employers and an HR company's service stations: the HR companies (their own) and the
    # county's administrators.
    "employers.manage": frozenset({COUNTY_ADMIN, HR_OPERATOR}),
    # Job orders: opened and ended by the HR company under its own agreement; read by all, so
    # agents and cooperatives can mobilise people for them.
    "orders.manage": frozenset({COUNTY_ADMIN, HR_OPERATOR}),
    "orders.read": EVERYONE,
    # A ranked list of candidates for an order: the HR company (its own orders) and the
    # cooperatives that organise the move; candidates are shown masked.
    "orders.match": frozenset({COUNTY_ADMIN, COOP_OPERATOR, HR_OPERATOR, AUDITOR}),
    # A person's exact age against an order's limits, asked of registry when a batch is approved
    # or a substitute joins it: the answer is in or out, never the birth date.
    "labourers.check_age": frozenset({COUNTY_ADMIN, COOP_OPERATOR, HR_OPERATOR}),
    # Batches (输送批次): the HR company forms its own and records invitations, departure,
    # arrival and substitutions; the people's agents and cooperatives record each labourer's
    # answer (within their area); the county cooperative approves (a county cooperative's
    # operator, or the county's administrator). HR companies read only their own.
    "batches.form": frozenset({COUNTY_ADMIN, HR_OPERATOR}),
    "batches.respond": frozenset({COUNTY_ADMIN, COOP_OPERATOR, AGENT}),
    "batches.approve": frozenset({COUNTY_ADMIN, COOP_OPERATOR}),
    "batches.read": EVERYONE,
    # Placements and their follow-up (后续跟踪): the HR company records them; a return may also
    # be recorded by the labourer's agent or cooperative (within their area).
    "placements.manage": frozenset({COUNTY_ADMIN, HR_OPERATOR}),
    "placements.end": frozenset({COUNTY_ADMIN, HR_OPERATOR, COOP_OPERATOR, AGENT}),
    "placements.read": EVERYONE,
    # The degree of organisation (组织化程度): counts, no one's personal data.
    "organisation_degree.read": EVERYONE,
    # Settlement (结算): statements are read within one's company or area (an agent: their own
    # rewards); the county cooperative runs and closes periods, resolves disputes and asks the
    # fund for distributions; the county's administrators set the agents' reward and the subsidy
    # rules. A statement binds the HR company to pay: only a person its own seal certified (a
    # signatory: a role no administrator can grant) acknowledges it, for their company only.
    "settlement.read": frozenset(
        {COUNTY_ADMIN, COOP_OPERATOR, AGENT, HR_OPERATOR, SIGNATORY, FINANCE, AUDITOR}
    ),
    "settlement.run": frozenset({COUNTY_ADMIN, COOP_OPERATOR}),
    "settlement.acknowledge": frozenset({SIGNATORY}),
    "settlement.rules": frozenset({COUNTY_ADMIN}),
    # A village cooperative's books: its own operators record a use of its income and another of
    # them approves it (checked by settlement); the county, bureaus and auditors read.
    "village_books.record": frozenset({COOP_OPERATOR}),
    "village_books.approve": frozenset({COOP_OPERATOR}),
    "village_books.read": frozenset({COUNTY_ADMIN, COOP_OPERATOR, FINANCE, AUDITOR}),
    "events.replay": frozenset({COUNTY_ADMIN}),
    "fund.record": frozenset({FINANCE}),
    "fund.propose": frozenset({FINANCE, COUNTY_ADMIN, HR_OPERATOR}),
    "fund.sign": frozenset({SIGNATORY}),
    "fund.read": frozenset({COUNTY_ADMIN, COOP_OPERATOR, HR_OPERATOR, SIGNATORY, FINANCE, AUDITOR}),
    "fund.verify": frozenset({COUNTY_ADMIN, FINANCE, AUDITOR}),
    "fund.close": frozenset({COUNTY_ADMIN}),
    "audit.read": frozenset({COUNTY_ADMIN, FINANCE, AUDITOR}),
}
# Roles that see personal data unmasked, within their scope (DOMAIN.md role matrix).
UNMASKED_ROLES = frozenset({COUNTY_ADMIN, COOP_OPERATOR, AGENT})


class Unauthenticated(DomainError):
    code = "UNAUTHENTICATED"
    message_en = "sign in first (sanbao login)"
    message_zh = "请先登录（sanbao login）"


class TokenInvalid(Unauthenticated):
    code = "TOKEN_INVALID"
    message_en = "the sign-in token is not valid; sign in again (sanbao login)"
    message_zh = "登录凭证无效，请重新登录"


class TokenExpired(Unauthenticated):
    code = "TOKEN_EXPIRED"
    message_en = "the sign-in token has expired; sign in again (sanbao login)"
    message_zh = "登录凭证已过期，请重新登录"


class TokenRevoked(Unauthenticated):
    code = "TOKEN_REVOKED"
    message_en = (
        "the sign-in token was withdrawn (the account or its roles changed); sign in again"
        " (sanbao login)"
    )
    message_zh = "登录凭证已被收回（账户或角色已变更），请重新登录"


class WrongCountyToken(Unauthenticated):
    code = "TOKEN_WRONG_COUNTY"
    message_en = "the sign-in token is for another county"
    message_zh = "登录凭证属于其他县（市）"


class Forbidden(DomainError):
    code = "FORBIDDEN"
    message_en = "your role does not allow this"
    message_zh = "您的角色无权执行此操作"


class OutOfScope(DomainError):
    code = "OUT_OF_SCOPE"
    message_en = "this is outside your area"
    message_zh = "超出您的管辖范围"


class PasswordChangeRequired(DomainError):
    code = "PASSWORD_CHANGE_REQUIRED"
    message_en = "change your one-time password first (sanbao password change)"
    message_zh = "请先修改一次性密码（sanbao password change）"


@dataclass(frozen=True)
class Principal:
    """Who is calling, as their token says."""

    user_id: str
    username: str
    organisation_id: str
    organisation_kind: str
    roles: tuple[str, ...]
    scope: str  # a division code (6, 9 or 12 digits), a village group code, or an organisation id
    county: str
    expires_at: str
    token_id: str
    issued_at: str = ""  # every token registry issues has it; `verify_token` refuses one without
    must_change_password: bool = False

    @property
    def actor(self) -> str:
        return f"user:{self.username}"

    def has(self, permission: str) -> bool:
        return bool(PERMISSIONS[permission].intersection(self.roles))

    @property
    def area(self) -> str | None:
        """The division code an area-bound caller (a cooperative or village group) is limited
        to, or None for bureaus and companies, which are not area-bound."""
        if self.organisation_kind in AREA_KINDS:
            return self.scope.split("-")[0]
        return None

    def covers(self, division_code: str) -> bool:
        """Whether a place (village code, township code, …) lies within this caller's area."""
        if self.area is not None:
            return division_code.startswith(self.area)
        return True  # bureaus and companies are not area-bound; what they see is masked

    def sees_unmasked(self, division_code: str | None) -> bool:
        return (
            bool(UNMASKED_ROLES.intersection(self.roles))
            and division_code is not None
            and self.organisation_kind in AREA_KINDS
            and self.covers(division_code)
        )


AREA_KINDS = frozenset({"county_coop", "township_coop", "village_coop", "village_group"})


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def issue_token(
    private_key, principal_fields: dict, ttl: timedelta, now: datetime | None = None
) -> tuple[str, Principal]:
    """Sign a token for a person who has just proved who they are."""
    now = now or datetime.now(UTC)
    principal = Principal(
        **principal_fields,
        expires_at=(now + ttl).isoformat(),
        token_id=uuid.uuid4().hex,
        issued_at=now.isoformat(),
    )
    body = _b64(json.dumps(asdict(principal), separators=(",", ":"), sort_keys=True).encode())
    signed = f"{TOKEN_PREFIX}.{body}"
    signature = _b64(private_key.sign(signed.encode()))
    return f"{signed}.{signature}", principal


def verify_token(token, public_keys: list, county: str, now: datetime | None = None) -> Principal:
    if not token:
        raise Unauthenticated()
    try:
        prefix, body, signature = token.split(".")
        if prefix != TOKEN_PREFIX:
            raise ValueError
        signed = f"{prefix}.{body}".encode()
        raw_signature = base64.b64encode(_unb64(signature)).decode()
    except (ValueError, AttributeError):
        raise TokenInvalid() from None
    if not any(signature_valid(key, signed, raw_signature) for key in public_keys):
        raise TokenInvalid()
    try:
        data = json.loads(_unb64(body))
        data["roles"] = tuple(data["roles"])
        principal = Principal(**data)
        expires_at = datetime.fromisoformat(principal.expires_at)
        issued_at = datetime.fromisoformat(principal.issued_at)  # none: it predates revocation
    except (ValueError, TypeError, KeyError):
        raise TokenInvalid() from None
    if expires_at - issued_at > MAX_TOKEN_LIFE:
        # None is minted so (registry caps its TTL), and revocations are kept only so long.
        raise TokenInvalid()
    if principal.county != county:
        raise WrongCountyToken()
    if (now or datetime.now(UTC)) >= expires_at:
        raise TokenExpired()
    return principal


def configured_public_keys() -> list:
    text = nameko_config.get("TOKEN_PUBLIC_KEYS") or ""
    return [load_public_key(part) for part in text.split(",") if part.strip()]


class Access:
    """What an entrypoint knows about its caller once the token is checked."""

    def __init__(
        self, worker_ctx, public_keys: list, county: str, revocations: RevocationList | None = None
    ):
        self._worker_ctx = worker_ctx
        self._public_keys = public_keys
        self._county = county
        self.revocations = revocations
        self.principal: Principal | None = None

    def authenticate(self, permission: str) -> Principal:
        token = self._worker_ctx.data.get(TOKEN_KEY)
        principal = verify_token(token, self._public_keys, self._county)
        if self.revocations is not None and self.revocations.voids(
            principal.user_id, datetime.fromisoformat(principal.issued_at)
        ):
            raise TokenRevoked()
        return self.admit(principal, permission)

    def admit(self, principal: Principal, permission: str) -> Principal:
        """Let a verified caller in for `permission`, or refuse with the reason."""
        if principal.must_change_password and permission != "account.manage_own":
            raise PasswordChangeRequired()
        if not principal.has(permission):
            raise Forbidden(permission=permission)
        self.principal = principal
        if self._worker_ctx is not None:
            self._worker_ctx.data["actor"] = principal.actor
        actor_var.set(principal.actor)
        return principal

    def require_in_scope(self, division_code: str) -> None:
        if not self.principal.covers(division_code):
            raise OutOfScope(area=division_code)


class KnownCallerAccess(Access):
    """An `Access` for a caller already known, for code that runs a service's entrypoints in
    its own process (tests of one service, benchmarks): the same permission and scope checks,
    without a token or a nameko worker."""

    def __init__(self, principal: Principal):
        super().__init__(None, [], principal.county)
        self._known = principal

    def authenticate(self, permission: str) -> Principal:
        return self.admit(self._known, permission)


class Authorization(DependencyProvider):
    """Gives each worker an `Access` for the token its call carried, checked against the
    service's own list of revoked tokens (`sanbao_common.revocations`)."""

    def setup(self):
        self.public_keys = configured_public_keys()
        self.county = nameko_config["COUNTY"]
        self.revocations = RevocationList(self._database_handle)

    def _database_handle(self):
        database = next(d for d in self.container.dependencies if isinstance(d, Database))
        return database.handle()

    def get_dependency(self, worker_ctx) -> Access:
        return Access(worker_ctx, self.public_keys, self.county, self.revocations)
