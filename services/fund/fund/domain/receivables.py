"""Receivables and the cash matched to them: the rules of the fund's income side
(docs/decisions/0020-matching-cash-to-receivables.md).

- A receivable is what one counterparty owes the joint account, for one kind of income (service
  revenue, a policy subsidy, an employer subsidy) and period, from one statement: its business
  key. It is recorded once per key; its income is earned only as it is paid.
- A bank credit of an income kind names what it pays: receivables by id (in the order named),
  the payer's open receivables of its kind oldest period first, or nothing (income with nothing
  owed, earned on receipt). Each receivable takes what it still owes, at most; a partial payment
  leaves the rest open; what is left after everything named is held as the payer's credit, not
  income, and pays the payer's next receivables as they are recorded.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from fund.exceptions import ReceivableRejected
from fund_contract.requests import (
    COUNTERPARTY_KINDS,
    PAYS_NOTHING,
    PAYS_OLDEST_FIRST,
    RECEIVABLE_KEY_FIELDS,
    RECEIVABLE_KINDS,
)

ON_RECEIPT, ACCRUED = "on_receipt", "accrued"
OPEN, PAID = "open", "paid"
# Who owes each kind (the HR company owes service revenue; bureaus pay policy subsidies,
# employers employer subsidies).
OWED_BY: dict[str, tuple[str, ...]] = {
    "service_revenue": ("hr_company",),
    "policy_subsidy": ("bureau",),
    "employer_subsidy": ("employer",),
}


@dataclass(frozen=True)
class Receivable:
    receivable_id: str
    account_id: str
    kind: str
    period: str
    counterparty_id: str
    counterparty_kind: str
    counterparty_name: str
    statement_ref: str
    amount_fen: int
    paid_fen: int
    basis: str
    requested_by: str
    recorded_at: datetime
    recorded_by: str
    seq: int = 0
    entry_id: str | None = None
    event_id: str | None = None
    version: int = 1

    @property
    def open_fen(self) -> int:
        return self.amount_fen - self.paid_fen

    @property
    def status(self) -> str:
        return PAID if self.open_fen == 0 else OPEN

    @property
    def key(self) -> tuple[str, str, str, str, str]:
        """Its business key (`fund_contract.requests.RECEIVABLE_KEY_FIELDS`)."""
        return tuple(getattr(self, field) for field in RECEIVABLE_KEY_FIELDS)

    def paid(self, amount_fen: int) -> Receivable:
        return replace(self, paid_fen=self.paid_fen + amount_fen, version=self.version + 1)


def check_receivable(data: dict, parties: tuple[str, str]) -> None:
    """A receivable's fields, before anything is written: a known kind owed by the right kind of
    counterparty (service revenue by the account's own HR company, the second of `parties`; a
    subsidy by neither party, so no party's credit pays it), a positive integer amount and every
    part of its key present."""
    hr_company = parties[1]
    kind, counterparty_kind = data.get("kind"), data.get("counterparty_kind")
    if kind not in RECEIVABLE_KINDS:
        raise ReceivableRejected(field="kind", allowed=",".join(RECEIVABLE_KINDS))
    if counterparty_kind not in COUNTERPARTY_KINDS or counterparty_kind not in OWED_BY[kind]:
        raise ReceivableRejected(
            message_en=f"{kind} is owed by a {' or '.join(OWED_BY[kind])}",
            message_zh=f"{kind} 的付款方须为 {'/'.join(OWED_BY[kind])}",
            field="counterparty_kind",
        )
    if kind != "service_revenue" and data.get("counterparty_id") in parties:
        raise ReceivableRejected(
            message_en="a subsidy is owed by a bureau or an employer, not by a party",
            message_zh="补贴的付款方须为部门或用工企业，不能是共管方",
            field="counterparty_id",
        )
    if kind == "service_revenue" and data.get("counterparty_id") != hr_company:
        raise ReceivableRejected(
            message_en="service revenue is owed by the account's HR company",
            message_zh="劳务经济收益金的付款方须为本账户的人力资源服务企业",
            field="counterparty_id",
        )
    amount = data.get("amount_fen")
    if type(amount) is not int or amount <= 0:
        raise ReceivableRejected(
            message_en="a receivable is a positive amount in fen", message_zh="应收金额须为正数",
            field="amount_fen",
        )  # fmt: skip
    for field, longest in (
        ("period", 20), ("counterparty_id", 100), ("counterparty_name", 200),
        ("statement_ref", 100),
    ):  # fmt: skip
        value = data.get(field)
        if not isinstance(value, str) or not value.strip() or len(value) > longest:
            raise ReceivableRejected(
                message_en=f"{field} is text of 1 to {longest} characters",
                message_zh=f"{field} 须为 1 至 {longest} 个字符",
                field=field,
            )


def same_request(receivable: Receivable, data: dict) -> bool:
    """Whether asking again for a recorded key asks for exactly what was recorded."""
    return receivable.amount_fen == data["amount_fen"] and (
        receivable.counterparty_kind == data["counterparty_kind"]
    )


def to_pay(
    pays, kind: str, payer: str, named: list[Receivable | None], open_of_payer: list[Receivable]
) -> list[Receivable]:
    """The receivables a credit pays, in the order it pays them: `named` (the receivables `pays`
    lists, None where an id is not one of the account's), or `open_of_payer` (the payer's open
    receivables of the kind, oldest first). A named receivable must be of the credit's kind, the
    payer's and still open; none may be named twice."""
    if pays == PAYS_NOTHING:
        return []
    if pays == PAYS_OLDEST_FIRST:
        return open_of_payer
    if any(receivable is None for receivable in named):
        raise ReceivableRejected(
            message_en="a receivable it names is not one of this account's",
            message_zh="所列应收款不属于本账户",
        )
    if len({r.receivable_id for r in named}) != len(named):
        raise ReceivableRejected(
            message_en="a receivable is named twice", message_zh="同一应收款重复列出"
        )
    for receivable in named:
        if receivable.kind != kind or receivable.counterparty_id != payer:
            raise ReceivableRejected(
                message_en="a credit pays receivables of its own kind owed by its payer",
                message_zh="入账只能冲抵同类别、同付款方的应收款",
                receivable_id=receivable.receivable_id,
            )
        if receivable.status != OPEN:
            raise ReceivableRejected(
                message_en="the receivable is already paid",
                message_zh="该应收款已结清",
                receivable_id=receivable.receivable_id,
            )
    return named


def allocate(amount_fen: int, receivables: list[Receivable]) -> tuple[list[tuple], int]:
    """Split a credit of `amount_fen` over `receivables` in order, each taking at most what it
    still owes: [(receivable, amount taken)] for those that take something, and what is left."""
    taken, left = [], amount_fen
    for receivable in receivables:
        if left == 0:
            break
        part = min(left, receivable.open_fen)
        if part > 0:
            taken.append((receivable, part))
            left -= part
    return taken, left
