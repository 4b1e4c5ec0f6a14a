"""RPC arguments, replies and event payloads of the fund. Amounts cross the wire as yuan strings
("1234.50") and are integer fen inside."""

from __future__ import annotations

import json
import uuid

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from fund.domain.accounts import JointAccount, Proposal
from fund_contract.requests import (
    COUNTERPARTY_KINDS,
    PAYEE_LABOURER,
    PAYEE_ORGANISATION,
    PAYS_NOTHING,
    PAYS_OLDEST_FIRST,
    RECEIVABLE_KINDS,
)
from fund_contract.vocabularies import VOUCHER_KINDS
from sanbao_common.context import Caller
from sanbao_common.envelope import new_envelope
from sanbao_common.money import InvalidAmount, parse_yuan

SOURCE = "fund"
_RECORD_IDS = uuid.UUID("5a3b0b1e-0f1d-5c6e-9a41-2019d0c0ffee")  # the fund's namespace of ids
PAYEE_KINDS = (PAYEE_ORGANISATION, PAYEE_LABOURER)

# How long a command's lists may be: set from the fund's work, each well above what a real
# command carries, so that no request can hold the fund-wide lock for long (docs/api.md,
# "Limits"; the request itself is at most 4 MiB, sanbao_common.rpc).
MAX_INFLOWS = 5000  # credits of one bank statement recorded together
MAX_LINES = 500  # lines of one outflow: one per person of a batch of at most a few hundred
MAX_VOUCHERS = 1000  # vouchers settling one advance: a batch's tickets, medical exams, meals
MAX_PAID_RECEIVABLES = 500  # receivables one credit names: a year of months for many bodies


def native(value):
    """JSON-native (what the audit hash is computed over, and what is stored and sent)."""
    return json.loads(json.dumps(value, sort_keys=True, ensure_ascii=False, default=str))


def new_event(
    type_: str, caller: Caller, payload: dict, record_id: str, version: int | None
) -> dict:
    """One of the fund's events, in its envelope, on behalf of `caller`."""
    return new_envelope(
        type_,
        source=SOURCE,
        county=caller.county,
        payload=native(payload),
        actor=caller.actor,
        correlation_id=caller.correlation_id,
        record_id=record_id,
        version=version,
    )


def derived_id(*parts: str) -> str:
    """A record id for a record named by several parts (a payer's credit on an account, a
    request by its source and key): the same parts, the same id, as short as every id (a UUID,
    version 5, of the parts joined by "|")."""
    return str(uuid.uuid5(_RECORD_IDS, "|".join(parts)))


def account_payload(account: JointAccount) -> dict:
    """A joint account's state in the `joint_account_*` events: the terms both seals signed (the
    agreement version in force) and their signatures."""
    return {
        "account_id": account.account_id,
        "agreement_id": account.agreement_id,
        "agreement_version": account.agreement_version,
        "status": account.status,
        "terms": account.terms(),
        "seal_signatures": account.seal_signatures,
    }


def proposal_reply(proposal: Proposal) -> dict:
    """A proposal as signatories sign it, with where it stands and who proposed it (the RPC
    replies)."""
    return dict(
        proposal.statement(),
        status=proposal.status,
        signed_by=sorted(proposal.signed_by()),
        reason=proposal.reason,
        version=proposal.version,
        **proposal_origin(proposal),
    )


def proposal_origin(proposal: Proposal) -> dict:
    """Who proposed it (a user id and their organisation), and the request it was made for when
    another service asked for it: what a signatory weighs besides the statement itself."""
    return {
        "proposed_by": proposal.proposed_by,
        "proposer_org": proposal.proposer_org,
        "request": request_view(proposal),
    }


def request_view(proposal: Proposal) -> dict | None:
    if proposal.request is None:
        return None
    return {"source": proposal.request[0], "request_key": proposal.request[1]}


def proposal_payload(account: JointAccount, proposal: Proposal) -> dict:
    """A proposal's state in the `outflow_*` events (a labourer's bank account number masked),
    with the request it was made for, if another service asked for it."""
    statement = proposal.statement()
    return dict(
        statement,
        lines=[masked_line(line) for line in statement["lines"]],
        status=proposal.status,
        proposed_by=proposal.proposed_by,
        signed_by=sorted(proposal.signed_by()),
        waiting_for=proposal.waiting_for(account),
        reason=proposal.reason,
        request=request_view(proposal),
    )


def masked_line(line: dict) -> dict:
    """A line as events carry it: a labourer's bank account number masked (its last four digits
    kept); an organisation's shown whole."""
    if line.get("payee_kind") != PAYEE_LABOURER or not line.get("bank_account"):
        return line
    number = line["bank_account"]
    return dict(line, bank_account="*" * (len(number) - 4) + number[-4:])


class Yuan(fields.String):
    """A positive amount in yuan, loaded as integer fen (docs/decisions/0003-money-text.md)."""

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            fen = parse_yuan(super()._deserialize(value, attr, data, **kwargs))
        except InvalidAmount as exc:
            raise ValidationError(str(exc)) from None
        if fen <= 0:
            raise ValidationError("must be more than zero / 金额须大于零")
        return fen


class Pays(fields.Field):
    """What an income credit pays: "oldest_first", "nothing", or a list of receivable ids."""

    def _deserialize(self, value, attr, data, **kwargs):
        if value in (PAYS_OLDEST_FIRST, PAYS_NOTHING):
            return value
        if (
            isinstance(value, list)
            and 1 <= len(value) <= MAX_PAID_RECEIVABLES
            and all(isinstance(x, str) and 1 <= len(x) <= 36 for x in value)
        ):
            return value
        raise ValidationError(
            f"{PAYS_OLDEST_FIRST!r}, {PAYS_NOTHING!r}, or a list of 1 to "
            f"{MAX_PAID_RECEIVABLES} receivable ids"
        )


class InflowSchema(Schema):
    class Meta:
        unknown = RAISE

    kind = fields.String(required=True)
    amount = Yuan(required=True)
    bank_ref = fields.String(required=True, validate=validate.Length(min=1, max=100))
    reference = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))
    # An income credit's payer (an organisation or employer id) and what it pays.
    payer = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))
    pays = Pays(load_default=None, allow_none=True)


class ReceivableSchema(Schema):
    """A receivable a party's finance person records (`fund.domain.receivables` checks the
    rest: who owes which kind)."""

    class Meta:
        unknown = RAISE

    kind = fields.String(required=True, validate=validate.OneOf(RECEIVABLE_KINDS))
    period = fields.String(required=True, validate=validate.Length(min=1, max=20))
    counterparty_id = fields.String(required=True, validate=validate.Length(min=1, max=100))
    counterparty_kind = fields.String(required=True, validate=validate.OneOf(COUNTERPARTY_KINDS))
    counterparty_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    statement_ref = fields.String(required=True, validate=validate.Length(min=1, max=100))
    amount = Yuan(required=True)


class InflowsSchema(Schema):
    """A bank statement's credits, recorded in one transaction."""

    inflows = fields.List(
        fields.Nested(InflowSchema), required=True, validate=validate.Length(min=1, max=MAX_INFLOWS)
    )


class LineSchema(Schema):
    class Meta:
        unknown = RAISE

    payee = fields.String(required=True, validate=validate.Length(min=1, max=200))
    amount = Yuan(required=True)
    purpose = fields.String(required=True, validate=validate.Length(min=1, max=500))
    reference = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))
    # A directory organisation (its bank details are the directory's), or a labourer on a
    # reimbursement line, paid to the bank account given here.
    payee_kind = fields.String(
        load_default=PAYEE_ORGANISATION, validate=validate.OneOf(PAYEE_KINDS)
    )
    # (their rules are the directory's: fund.payees checks them)
    bank_name = fields.String(load_default=None, validate=validate.Length(max=200))
    account_name = fields.String(load_default=None, validate=validate.Length(max=200))
    bank_account = fields.String(load_default=None, validate=validate.Length(max=64))


class ProposalSchema(Schema):
    class Meta:
        unknown = RAISE

    kind = fields.String(required=True)
    lines = fields.List(
        fields.Nested(LineSchema), required=True, validate=validate.Length(min=1, max=MAX_LINES)
    )
    expires_at = fields.AwareDateTime(required=True)


class VoucherSchema(Schema):
    class Meta:
        unknown = RAISE

    number = fields.String(required=True, validate=validate.Length(min=1, max=100))
    date = fields.Date(required=True)
    amount = Yuan(required=True)
    kind = fields.String(
        required=True,
        validate=validate.OneOf(VOUCHER_KINDS),
    )
    attachment_sha256 = fields.String(
        load_default=None, allow_none=True, validate=validate.Regexp(r"^[0-9a-f]{64}$")
    )


class SettlementSchema(Schema):
    """An advance settled against vouchers: the advance's reference (as its outflow line gave
    it) and the vouchers."""

    reference = fields.String(required=True, validate=validate.Length(min=1, max=100))
    vouchers = fields.List(
        fields.Nested(VoucherSchema),
        required=True,
        validate=validate.Length(min=1, max=MAX_VOUCHERS),
    )
