"""What the fund shows: an account with its balances and what waits on it, a period's statement,
the aging of advances, the figures behind its gauges, and the seal state of an account (which
commands check too). Reads only: nothing here changes the books."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from fund.adapters.repository import Books
from fund.domain import accounts as a
from fund.domain import receivables as r
from fund.domain.claims import OPEN, claim_state
from fund.domain.ledger import RECEIVABLE_ACCOUNTS
from fund.exceptions import AccountNotFound, ProposalNotFound
from fund.schemas import proposal_origin
from sanbao_common.ledger import balances

CHINA = ZoneInfo("Asia/Shanghai")  # statements are by business day there


def now() -> datetime:
    return datetime.now(UTC)


def find_account(books: Books, account_id: str) -> a.JointAccount:
    account = books.account(account_id)
    if account is None:
        raise AccountNotFound(account_id=account_id)
    return account


def find_proposal(books: Books, proposal_id: str, county: str) -> a.Proposal:
    proposal = books.proposal(proposal_id, county)
    if proposal is None:
        raise ProposalNotFound(proposal_id=proposal_id)
    return proposal


# -- seals in effect -----------------------------------------------------------------------------


def changed_seals(books: Books, account: a.JointAccount) -> list[str]:
    """The parties whose seal is no longer the one the account's terms name: revoked, or
    replaced by another the registrar confirmed."""
    changed = []
    for org in account.parties:
        named = books.seal(account.seal_of(org))
        effective = books.effective_seal(org)
        if (named is not None and named.revoked) or (
            effective is not None and effective.fingerprint != account.seal_of(org)
        ):
            changed.append(org)
    return changed


# -- views ---------------------------------------------------------------------------------------


def account_summary(account: a.JointAccount) -> dict:
    """Who and what the account is: its agreement, parties, principal, term, seals and bank."""
    return {
        "account_id": account.account_id,
        "agreement_id": account.agreement_id,
        "agreement_version": account.agreement_version,
        "agreement_ref": account.agreement_ref,
        "county": account.county,
        "county_cooperative": account.county_org_id,
        "hr_company": account.hr_org_id,
        "principal_fen": account.principal_fen,
        "term_start": account.term_start.isoformat(),
        "term_end": account.term_end.isoformat(),
        "bank_name": account.bank_name,
        "bank_account": account.bank_account,
        "county_cooperative_seal": account.county_seal,
        "hr_company_seal": account.hr_seal,
    }


def account_view(books: Books, account: a.JointAccount, at: datetime | None = None) -> dict:
    """The account with its balances and, on the record itself, what is waiting on it."""
    at = at or now()
    totals = books.balances(account.account_id)
    reserved = books.reserved(account.account_id, at)
    pending = books.proposals(account.account_id, account.county, a.PENDING)
    return {
        **account_summary(account),
        "status": account.status,
        "version": account.version,
        # Exactly what both seals signed, and their signatures.
        "terms": account.terms(),
        "seal_signatures": account.seal_signatures,
        "seals_signed": sorted(account.seal_signatures),
        # Parties whose seal changed since the terms were sealed: outflows wait until both
        # parties' current seals seal an amendment of the agreement.
        "frozen_for": changed_seals(books, account),
        "balances_fen": totals,
        "available_fen": a.available_cash(totals, reserved),
        "reserved_fen": reserved,
        "pending_outflows": [
            {
                "proposal_id": p.proposal_id,
                "kind": p.kind,
                "amount_fen": p.amount_fen,
                "expires_at": p.expires_at.isoformat(),
                "signed_by": sorted(p.signed_by()),
                "waiting_for": p.waiting_for(account),
                **proposal_origin(p),
            }
            for p in pending
            if p.expires_at > at
        ],
    }


def statement(books: Books, account: a.JointAccount, start: date, end: date) -> dict:
    """Entries dated start..end (Asia/Shanghai business days), with the balances around them."""
    before, during = [], []
    for entry in books.entries(account.account_id):
        day = entry["created_at"].astimezone(CHINA).date()
        if day <= end:
            (before if day < start else during).append((day, entry))
    opening = balances(p for _, entry in before for p in entry["postings"])
    closing = balances(p for _, entry in during for p in entry["postings"])
    for account_name, amount in opening.items():
        closing[account_name] = closing.get(account_name, 0) + amount
    last = books.last_checkpoint()
    paid = {p.proposal_id: p for p in books.proposals(account.account_id, account.county, a.PAID)}
    return {
        "account": account_summary(account),
        "status": account.status,
        "from": start.isoformat(),
        "to": end.isoformat(),
        "opening_fen": opening,
        "closing_fen": closing,
        "entries": [
            {
                "date": day.isoformat(),
                "entry_id": entry["entry_id"],
                "kind": entry["kind"],
                "source": entry["source"],
                "by": entry["created_by"],
                "postings": [p.__dict__ for p in entry["postings"]],
                # A payment's lines: who was paid, and the bank account the money went to.
                "lines": [line.statement() for line in paid[entry["source"]].lines]
                if entry["kind"].startswith("outflow:") and entry["source"] in paid
                else None,
            }
            for day, entry in during
        ],
        "receivables": receivables_at(books, account.account_id, start, end),
        "advance_claims": advance_claims(books, account.account_id, until=end)["claims"],
        "checkpoint": None
        if last is None
        else {"seq": last.seq, "hash": last.hash, "at": last.at, "signature": last.signature},
    }


def receivable_view(receivable: r.Receivable) -> dict:
    """A receivable's whole state (its RPC view and the payload of its events)."""
    return {
        "receivable_id": receivable.receivable_id,
        "account_id": receivable.account_id,
        "kind": receivable.kind,
        "period": receivable.period,
        "counterparty_id": receivable.counterparty_id,
        "counterparty_kind": receivable.counterparty_kind,
        "counterparty_name": receivable.counterparty_name,
        "statement_ref": receivable.statement_ref,
        "amount_fen": receivable.amount_fen,
        "paid_fen": receivable.paid_fen,
        "open_fen": receivable.open_fen,
        "status": receivable.status,
        "basis": receivable.basis,
        "requested_by": receivable.requested_by,
        "recorded_at": receivable.recorded_at.isoformat(),
        "recorded_by": receivable.recorded_by,
        "version": receivable.version,
    }


def receivables_at(books: Books, account_id: str, start: date, end: date) -> list[dict]:
    """The receivables recorded by the end of a statement's period (Asia/Shanghai days), each
    with what was paid of it by then, and the matches within the period."""
    by_receivable: dict[str, list] = {}
    for match in books.matches(account_id):  # read once for the account, oldest first
        day = match["matched_at"].astimezone(CHINA).date()
        by_receivable.setdefault(match["receivable_id"], []).append((match, day))
    found = []
    for receivable in books.receivables(account_id):
        if receivable.recorded_at.astimezone(CHINA).date() > end:
            continue
        matches = by_receivable.get(receivable.receivable_id, [])
        paid = sum(m["amount_fen"] for m, day in matches if day <= end)
        view = receivable_view(receivable)
        view.update(
            paid_fen=paid,
            open_fen=receivable.amount_fen - paid,
            status=r.PAID if paid == receivable.amount_fen else r.OPEN,
            matches=[
                {
                    "date": day.isoformat(),
                    "amount_fen": m["amount_fen"],
                    "source": m["source"],
                    "bank_ref": m["bank_ref"],
                    "entry_id": m["entry_id"],
                }
                for m, day in matches
                if start <= day <= end
            ],
        )
        found.append(view)
    return found


def receivables_report(books: Books, account_id: str, **filters) -> dict:
    """The account's receivables (filtered by period, counterparty, kind or open only), oldest
    first, with the totals by kind and the payers' credits held."""
    found = books.receivables(account_id, **filters)
    totals: dict[str, dict[str, int]] = {}
    for receivable in found:
        kind = totals.setdefault(receivable.kind, {"amount_fen": 0, "paid_fen": 0, "open_fen": 0})
        kind["amount_fen"] += receivable.amount_fen
        kind["paid_fen"] += receivable.paid_fen
        kind["open_fen"] += receivable.open_fen
    return {
        "account_id": account_id,
        "receivables": [receivable_view(x) for x in found],
        "totals_by_kind": totals,
        "credits_fen": books.credits(account_id),
    }


def advance_claims(
    books: Books, account_id: str, open_only: bool = False, until: date | None = None
) -> dict:
    """The claims no-shows left on the account's advances, oldest first, each with what was
    recovered, settled and written off of it since, and what is outstanding: now, or at the end
    of `until` (an Asia/Shanghai day: the claims recorded by then, the movements by then)."""

    def by_then(moment: datetime) -> bool:
        return until is None or moment.astimezone(CHINA).date() <= until

    moved: dict[str, list[tuple[str, int]]] = {}
    for movement in books.claim_movements(account_id):
        if by_then(movement["created_at"]):
            moved.setdefault(movement["reference"], []).append(
                (movement["kind"], movement["amount_fen"])
            )
    pending = books.reserved_claims(account_id, now()) if until is None else {}
    found = []
    for claim in books.advance_claims(account_id):
        if not by_then(claim["recorded_at"]):
            continue
        state = claim_state(claim["claimed_fen"], moved.get(claim["reference"], []))
        if open_only and state.status != OPEN:
            continue
        found.append(
            {
                **{k: claim[k] for k in ("reference", "batch_id", "seat", "person_id", "name")},
                **state.__dict__,
                # what pending write-offs already claim of it (none in a statement)
                "pending_write_off_fen": min(
                    pending.get(claim["reference"], 0), state.outstanding_fen
                ),
                "batch_version": claim["batch_version"],
                "recorded_at": claim["recorded_at"].isoformat(),
                "recorded_by": claim["recorded_by"],
            }
        )
    return {
        "account_id": account_id,
        "claims": found,
        "claimed_fen": sum(c["claimed_fen"] for c in found),
        "open_fen": sum(c["outstanding_fen"] for c in found),
    }


def aging(books: Books, account_id: str, today: date) -> list[dict]:
    """Outstanding advances by reference, oldest first, with their age in days."""
    paid_at = books.advance_paid_at(account_id)
    return sorted(
        (
            {
                "reference": ref,
                "outstanding_fen": amount,
                "days": (today - paid_at[ref].date()).days if ref in paid_at else None,
            }
            for ref, amount in books.outstanding_advances(account_id).items()
        ),
        key=lambda row: -(row["days"] or 0),
    )


def gauge_figures(books: Books, at: datetime | None = None) -> dict:
    """What the fund's metrics show: per open account its available cash, advances outstanding
    and the proposals waiting for signatures; and how far the audit chain has run past its last
    signed checkpoint."""
    at = at or now()
    accounts = []
    for account in books.accounts():
        if account.status != a.OPEN:
            continue
        view = account_view(books, account, at)
        waiting = view["pending_outflows"]
        accounts.append(
            {
                "account_id": account.account_id,
                "agreement_ref": account.agreement_ref,
                "available_fen": view["available_fen"],
                "advances_outstanding_fen": view["balances_fen"].get("advances_outstanding", 0),
                "receivables_open_fen": {
                    kind: view["balances_fen"].get(receivable_account, 0)
                    for kind, (receivable_account, _, _) in RECEIVABLE_ACCOUNTS.items()
                },
                "payer_credits_fen": view["balances_fen"].get("cash_held", 0),
                "advance_claims_open_fen": advance_claims(books, account.account_id, True)[
                    "open_fen"
                ],
                "requests_refused": sum(
                    1
                    for row in books.fund_requests(account.account_id)
                    if row["state"] == "refused"
                ),
                "pending_outflows": len(waiting),
                "frozen_for": view["frozen_for"],
                "next_expiry_seconds": min(
                    (
                        (datetime.fromisoformat(p["expires_at"]) - at).total_seconds()
                        for p in waiting
                    ),
                    default=None,
                ),
            }
        )
    seq, _ = books.chain_head()
    last = books.last_checkpoint()
    return {
        "accounts": accounts,
        "agreements_waiting_for_seals": len(books.held_agreements()),
        "records_since_checkpoint": seq - (last.seq if last is not None else 0),
        "checkpoint_age_seconds": (
            (at - datetime.fromisoformat(last.at)).total_seconds() if last is not None else None
        ),
    }
