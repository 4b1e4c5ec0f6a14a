"""The fund's audit trail: the record every command appends (binding the entries it posted), the
signed checkpoints that carry the chain's head out of the fund's reach, and `verify`, which
recomputes everything the books must be and names the first break."""

from __future__ import annotations

from dataclasses import replace

from fund.adapters.repository import Books
from fund.domain import accounts as a
from fund.domain.agreements import unsigned_changes
from fund.domain.audit import AuditRecord, chain_hash, first_break, journal_break
from fund.domain.ledger import CASH_ACCOUNTS, CHART, RECEIVABLE_ACCOUNTS
from fund.domain.posting_rules import follows_a_rule, outflow_entry
from fund.domain.receivables import ON_RECEIPT
from fund.queries import now
from fund.schemas import native, new_event
from sanbao_common import seals
from sanbao_common.checkpoints import checkpoint_statement
from sanbao_common.context import Caller
from sanbao_common.crypto import (
    load_public_key,
    public_key_text,
    sign,
    signature_valid,
    statement_bytes,
)
from sanbao_common.db import UnitOfWork
from sanbao_common.errors import DomainError
from sanbao_common.ledger import Posting, UnbalancedEntry, reversal, trial_balance_holds
from sanbao_common.messaging.outbox import write_events


def audit(
    books: Books, caller: Caller, command: str, account_id: str | None, detail: dict
) -> AuditRecord:
    """Append the command's record to the chain, in the command's transaction."""
    if books.posted:  # the entries this command posted, bound into its record (verify compares)
        detail = dict(detail, journal=books.posted)
        books.posted = []
    seq, head = books.chain_head()
    record = AuditRecord(
        seq + 1, now().isoformat(), caller.actor, command, account_id, native(detail), head
    )
    record = replace(record, hash=chain_hash(record))
    books.append_audit(record)
    return record


def take_checkpoint(uow: UnitOfWork, caller: Caller, signing_key) -> dict | None:
    """Sign the chain's head and send it out (an event the county's witness keeps), unless the
    head has not moved since the last checkpoint."""
    books = Books(uow.connection)
    seq, head = books.chain_head()
    last = books.last_checkpoint()
    if seq == 0 or (last is not None and last.seq >= seq):
        return None
    at = now().isoformat()
    statement = checkpoint_statement(seq, head, at, caller.county)
    signature = sign(signing_key, statement_bytes(statement))
    books.add_checkpoint(seq, head, at, signature)
    payload = dict(statement, signature=signature, public_key=public_key_text(signing_key))
    write_events(uow, [new_event("audit_checkpoint", caller, payload, f"fund-{seq}", None)])
    return payload


# -- verify --------------------------------------------------------------------------------------


def verify(
    books: Books,
    witness: list[dict],
    public_key_text_: str,
    county: str,
    registrar_keys: dict | None = None,
) -> dict:
    """Everything the books must be, recomputed: the chain against the witness's checkpoints
    (each checked against the fund's key), every journal entry against the chain and the posting
    rules, every payment's two signatures, every account's trial balance, and no cash below
    zero. Names the first break."""
    problems: list[str] = []
    checkpoints = _witnessed_checkpoints(witness, public_key_text_, county, problems)
    records = books.audit_records()
    journal = books.journal()  # every entry as stored, in the form the chain binds
    problems += [
        problem
        for problem in (first_break(records, checkpoints), journal_break(records, journal))
        if problem
    ]
    for account in books.accounts():
        problems += _balance_problems(books, account)
        problems += _receivable_problems(books, account)
        problems += _seal_problems(books, account, county, registrar_keys or {})
        problems += _entry_problems(
            books, account, [e for e in journal if e["account_id"] == account.account_id]
        )
        for proposal in books.proposals(account.account_id, account.county, a.PAID):
            problems += _payment_problems(books, account, proposal, county, registrar_keys or {})
    return {
        "records": len(records),
        "checkpoints": len(checkpoints),
        "ok": not problems,
        "first_break": problems[0] if problems else None,
        "problems": problems,
    }


def _witnessed_checkpoints(
    witness: list[dict], public_key_text_: str, county: str, problems: list[str]
) -> list[dict]:
    """The witness's checkpoints signed by the fund's key; each other one is a problem."""
    key = load_public_key(public_key_text_)
    checkpoints = []
    for point in witness:
        statement = checkpoint_statement(point["seq"], point["hash"], point["at"], county)
        if point.get("public_key") != public_key_text_ or not signature_valid(
            key, statement_bytes(statement), point["signature"]
        ):
            problems.append(f"checkpoint at record {point['seq']} is not signed by the fund's key")
            continue
        checkpoints.append(point)
    return checkpoints


def _balance_problems(books: Books, account: a.JointAccount) -> list[str]:
    """The trial balance summed from the postings themselves: every kept balance equal to it,
    debits equal to credits, no cash and no advance below zero."""
    problems = []
    derived = books.balances_from_postings(account.account_id)
    kept = books.kept_balances(account.account_id)
    for ledger_account, reference in sorted(derived.keys() | kept.keys()):
        if derived.get((ledger_account, reference), 0) != kept.get((ledger_account, reference), 0):
            problems.append(
                f"account {account.account_id}: the kept balance of {ledger_account}"
                + (f" ({reference})" if reference else "")
                + " is not the sum of its postings"
            )
    totals: dict[str, int] = {}
    for (ledger_account, _), amount in derived.items():
        totals[ledger_account] = totals.get(ledger_account, 0) + amount
    if not trial_balance_holds(totals):
        problems.append(f"account {account.account_id} does not balance")
    for cash in CASH_ACCOUNTS:
        if totals.get(cash, 0) < 0:
            problems.append(f"account {account.account_id}: {cash} below zero")
    for (ledger_account, reference), amount in sorted(derived.items()):
        if ledger_account == "advances_outstanding" and amount < 0:  # given up twice
            problems.append(
                f"account {account.account_id}: advance {reference} outstanding below zero"
            )
    return problems


def _receivable_problems(books: Books, account: a.JointAccount) -> list[str]:
    """The receivables beside the books are what the books say: each paid exactly the sum of its
    matches, never more than it is; each kind's receivable account holds their open total, and
    its account of income not yet received the open total of those earned on receipt; no payer's
    credit below zero, and the cash held for credits equal to them."""
    problems, prefix = [], f"account {account.account_id}"
    totals = books.balances(account.account_id)
    rows = books.receivables(account.account_id)
    matched: dict[str, int] = {}
    for match in books.matches(account.account_id):
        matched[match["receivable_id"]] = (
            matched.get(match["receivable_id"], 0) + match["amount_fen"]
        )
    for receivable in rows:
        if not 0 <= receivable.paid_fen <= receivable.amount_fen or receivable.paid_fen != (
            matched.get(receivable.receivable_id, 0)
        ):
            problems.append(
                f"{prefix}: receivable {receivable.receivable_id} is not paid what its matches say"
            )
    for kind, (receivable_account, uncollected, _) in RECEIVABLE_ACCOUNTS.items():
        of_kind = [x for x in rows if x.kind == kind]
        if totals.get(receivable_account, 0) != sum(x.open_fen for x in of_kind):
            problems.append(f"{prefix}: {receivable_account} is not the open receivables' total")
        waiting = sum(x.open_fen for x in of_kind if x.basis == ON_RECEIPT)
        if -totals.get(uncollected, 0) != waiting:
            problems.append(f"{prefix}: {uncollected} is not the income still to be received")
    credits = books.credits(account.account_id)
    if any(amount < 0 for amount in credits.values()):
        problems.append(f"{prefix}: a payer's credit is below zero")
    if totals.get("cash_held", 0) != sum(credits.values()):
        problems.append(f"{prefix}: the cash held is not the payers' credits")
    return problems


def _seal_problems(
    books: Books, account: a.JointAccount, county: str, registrar_keys: dict
) -> list[str]:
    """The account's terms as its seals signed them, under today's opening rule, and the account
    being what they say; an account opened before seals needed a registrar's confirmation is
    named so the county can redo it."""
    if account.status == a.PREPARED:
        return []
    changed = unsigned_changes(account)
    if changed:
        return [
            f"account {account.account_id}: its record is not what its sealed terms say "
            f"({', '.join(changed)})"
        ]
    named = {org: books.seal(account.seal_of(org)) for org in account.parties}
    if any(seal is None for seal in named.values()):
        return [
            f"account {account.account_id}: opened under a seal no registrar confirmed: have both "
            "parties' seals confirmed (sanbao seal audit)"
        ]
    # A seal revoked since is a frozen account, not a break: the terms were sealed under it.
    in_force = {org: replace(seal, revoked=False) for org, seal in named.items()}
    if any(account.seal_keys.get(org) != seal.public_key for org, seal in in_force.items()):
        return [f"account {account.account_id}: its seal keys are not the seals its terms name"]
    try:
        seals.check_joint_account_seals(
            account.terms(), in_force, account.seal_signatures, county, registrar_keys
        )
    except DomainError as exc:
        return [f"account {account.account_id}: its seals do not hold: {exc.message_en}"]
    return []


def _certifying_seal(
    books: Books, signatory: a.Signatory, county: str, registrar_keys: dict
) -> str | None:
    """The public key of the seal that certified the signatory, if the fund knows it as a seal a
    registrar confirmed for the signatory's organisation (the account's own seal key is used
    otherwise)."""
    seal = books.seal(signatory.seal_fingerprint) if signatory.seal_fingerprint else None
    if seal is None or seal.org_id != signatory.org_id:
        return None
    try:
        seals.check_confirmation(seal, county, registrar_keys)
    except DomainError:
        return None
    return seal.public_key


def _entry_problems(books: Books, account: a.JointAccount, journal: list[dict]) -> list[str]:
    """Every entry of the account's `journal` (as `Books.journal` gives it) posts what its
    movement's posting rule makes, and money leaves only by paying a proposal: every outflow
    entry is the one entry of a paid proposal (whose signatures `_payment_problems` checks),
    posting exactly what paying it posts, and every paid proposal has that entry. A correction
    is the reversal of the entry it names."""
    paid = {p.proposal_id: p for p in books.proposals(account.account_id, account.county, a.PAID)}
    by_id = {entry["entry_id"]: entry for entry in journal}
    problems, seen, corrected = [], set(), set()
    for entry in journal:
        postings = [Posting(*leg) for leg in entry["postings"]]
        if entry["reverses"] is not None:
            problems += _reversal_problems(entry, postings, by_id.get(entry["reverses"]), corrected)
        elif (entry["kind"] or "").startswith("outflow:"):
            proposal = paid.get(entry["source"])
            if proposal is None or entry["source"] in seen:
                problems.append(
                    f"journal entry {entry['entry_id']} pays out without a paid proposal of its own"
                )
                continue
            seen.add(proposal.proposal_id)
            pays = outflow_entry(proposal.kind, proposal.lines)
            if entry["kind"] != f"outflow:{proposal.kind}" or postings != list(pays):
                problems.append(
                    f"journal entry {entry['entry_id']} is not what proposal "
                    f"{proposal.proposal_id} pays"
                )
        elif not follows_a_rule(entry["kind"], postings):
            problems.append(
                f"journal entry {entry['entry_id']} ({entry['kind']}) does not follow the "
                "posting rules"
            )
    problems += [
        f"paid proposal {p} has no entry in the journal" for p in sorted(paid.keys() - seen)
    ]
    return problems


def _reversal_problems(
    entry: dict, postings: list[Posting], original: dict | None, corrected: set[str]
) -> list[str]:
    """A correcting entry posts exactly the reversal of the entry it names, in its account, and
    no entry is corrected twice (`corrected`: the entries reversed so far)."""
    try:
        undoes = original is not None and postings == list(
            reversal((Posting(*leg) for leg in original["postings"]), chart=CHART)
        )
    except UnbalancedEntry:
        undoes = False
    if not undoes:
        return [
            f"journal entry {entry['entry_id']} is not the reversal of entry {entry['reverses']}"
        ]
    if entry["reverses"] in corrected:
        return [f"journal entry {entry['entry_id']} reverses entry {entry['reverses']} again"]
    corrected.add(entry["reverses"])
    return []


def _payment_problems(
    books: Books, account: a.JointAccount, proposal: a.Proposal, county: str, registrar_keys: dict
) -> list[str]:
    orgs = set()
    for org_id, user_id, key_fingerprint, signature in proposal.signatures:
        found = books.signatory(key_fingerprint)
        if found is None:
            return [f"payment {proposal.proposal_id} was signed by an unknown key"]
        signatory, certificate, seal_signature = found
        try:
            a.check_certificate(
                account,
                signatory,
                certificate,
                seal_signature,
                _certifying_seal(books, signatory, county, registrar_keys),
            )
        except Exception:  # noqa: BLE001 - any failure here is a break to report
            return [f"payment {proposal.proposal_id}: a signatory's certificate does not verify"]
        if (
            signatory.user_id != user_id
            or user_id == proposal.proposed_by
            or signatory.org_id != org_id
        ):
            return [f"payment {proposal.proposal_id}: a signature that should not have counted"]
        if not signature_valid(
            load_public_key(signatory.public_key), statement_bytes(proposal.statement()), signature
        ):
            return [f"payment {proposal.proposal_id}: a signature does not match the proposal"]
        orgs.add(org_id)
    if orgs != set(account.parties):
        return [f"payment {proposal.proposal_id} lacks one organisation's signature"]
    return []
