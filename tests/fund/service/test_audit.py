"""The audit trail: every command chained, checkpoints out of the fund's reach, and `verify`
naming the first break — even when someone with full write access to the fund's database edits
an entry and recomputes every hash."""

import json

import pytest
from sqlalchemy import select, text, update

from fund.adapters.repository import Books
from fund.adapters.tables import audit_log, ledger_balances, postings
from fund.domain.audit import chain_hash
from fund_support import HR_ORG, in_a_day, key


@pytest.fixture
def history(fund):
    """An account with money in, two advances paid (each leaves a checkpoint), one pending."""
    account = fund.open_account()
    fund.certify(fund.county, "chen.sign")
    fund.certify(fund.hr, "zhou.sign")
    finance = fund.as_(["finance"], user="li.fin")
    finance.record_inflow(
        account, {"kind": "principal_deposit", "amount": "100000.00", "bank_ref": "ICBC-1"}, key()
    )
    for n in range(2):
        proposal = finance.propose_outflow(
            account,
            {
                "kind": "advance",
                "expires_at": in_a_day(),
                "lines": [
                    {
                        "payee": HR_ORG,
                        "amount": "1000.00",
                        "purpose": "车票",
                        "reference": f"b{n}",
                    }
                ],
            },
            key(),
        )
        fund.sign_as(fund.county, "chen.sign", proposal)()
        fund.sign_as(fund.hr, "zhou.sign", proposal)()
    finance.propose_outflow(
        account,
        {
            "kind": "advance",
            "expires_at": in_a_day(),
            "lines": [{"payee": HR_ORG, "amount": "10.00", "purpose": "体检", "reference": "b9"}],
        },
        key(),
    )
    return account


def verify(fund):
    return fund.as_(["auditor"]).verify_books()


def test_untouched_books_verify(fund, history):
    report = verify(fund)
    assert report["ok"], report
    # 3 payees' bank accounts, 2 seal confirmations, the opening from the sealed agreement, the
    # deposit, 2 advances proposed and signed twice, 1 pending
    assert report["checkpoints"] == 2 and report["records"] == 14


def recompute_chain(engine):
    """What an attacker with write access does after editing: make every hash agree again."""
    with engine.begin() as connection:
        records = Books(connection).audit_records()
        prev = "0" * 64
        for record in records:
            fixed = record.__class__(**{**record.__dict__, "prev_hash": prev, "hash": ""})
            fixed = fixed.__class__(**{**fixed.__dict__, "hash": chain_hash(fixed)})
            connection.execute(
                update(audit_log)
                .where(audit_log.c.seq == record.seq)
                .values(prev_hash=prev, hash=fixed.hash)
            )
            prev = fixed.hash


def test_an_edited_entry_is_caught_even_with_every_hash_recomputed(fund, history):
    with fund.engine.begin() as connection:
        # Pay 1,000 less out of one advance, in the journal and in the audit record of it.
        first = (
            connection.execute(
                select(postings.c.posting_id).where(
                    postings.c.ledger_account == "advances_outstanding"
                )
            )
            .scalars()
            .first()
        )
        connection.execute(
            update(postings).where(postings.c.posting_id == first).values(amount_fen=1)
        )
        row = connection.execute(
            select(audit_log).where(audit_log.c.command == "sign_outflow")
        ).first()
        detail = json.loads(row.detail)
        detail["entry_id"] = "rewritten"
        connection.execute(
            update(audit_log)
            .where(audit_log.c.seq == row.seq)
            .values(detail=json.dumps(detail, sort_keys=True))
        )
    recompute_chain(fund.engine)
    report = verify(fund)
    assert not report["ok"]
    assert "differs from the checkpoint" in report["first_break"]


def test_an_edit_without_recomputing_is_caught_at_the_record(fund, history):
    with fund.engine.begin() as connection:
        connection.execute(
            update(audit_log).where(audit_log.c.seq == 3).values(actor="user:nobody")
        )
    assert (
        verify(fund)["first_break"] == "record 3 was altered (its hash does not match its content)"
    )


def test_truncating_the_trail_is_caught(fund, history):
    with fund.engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_log WHERE seq >= 6"))
    report = verify(fund)
    assert not report["ok"] and "beyond the stored chain" in report["first_break"]


def test_a_journal_that_no_longer_balances_is_caught(fund, history):
    with fund.engine.begin() as connection:
        first = connection.execute(select(postings.c.posting_id)).scalars().first()
        connection.execute(
            update(postings).where(postings.c.posting_id == first).values(amount_fen=7)
        )
    report = verify(fund)
    assert not report["ok"]
    assert any("does not balance" in problem for problem in report["problems"]), report
    assert any("is not the sum of its postings" in problem for problem in report["problems"])


def test_a_kept_balance_raised_behind_the_books_back_is_caught(fund, history):
    """Cash added to the balances commands read (to make an overdraft look covered) shows up as
    a balance its postings do not add up to."""
    with fund.engine.begin() as connection:
        connection.execute(
            update(ledger_balances)
            .where(ledger_balances.c.ledger_account == "cash_principal")
            .values(balance_fen=ledger_balances.c.balance_fen + 100_000_00)
        )
    report = verify(fund)
    assert not report["ok"]
    assert any(
        "kept balance of cash_principal is not the sum of its postings" in problem
        for problem in report["problems"]
    ), report


def test_a_forged_checkpoint_is_not_believed(fund, history):
    forged = fund.witness()
    forged[0] = dict(forged[0], hash="f" * 64)
    fund.witness = lambda: forged
    report = verify(fund)
    assert "not signed by the fund's key" in report["first_break"]


def test_a_payment_whose_signature_was_replaced_is_caught(fund, history):
    from fund.adapters.tables import proposals

    with fund.engine.begin() as connection:
        row = connection.execute(select(proposals).where(proposals.c.status == "paid")).first()
        signatures = json.loads(row.signatures)
        signatures[1][3] = signatures[0][3]  # the HR signature swapped for the county's
        connection.execute(
            update(proposals)
            .where(proposals.c.proposal_id == row.proposal_id)
            .values(signatures=json.dumps(signatures))
        )
    report = verify(fund)
    assert any("does not match the proposal" in p for p in report["problems"])


def conjure(fund) -> tuple[str, int]:
    """What an attacker with write access does to make money appear: double the principal
    deposit in both postings of its entry (still balanced) and in the kept balances commands
    read, leaving the audit records alone. Returns the entry and the seq of its audit record."""
    from fund.adapters.tables import journal_entries

    with fund.engine.begin() as connection:
        entry = connection.execute(
            select(journal_entries).where(journal_entries.c.kind == "inflow:principal_deposit")
        ).one()
        for leg in connection.execute(
            select(postings).where(postings.c.entry_id == entry.entry_id)
        ):
            connection.execute(
                update(postings)
                .where(postings.c.posting_id == leg.posting_id)
                .values(amount_fen=leg.amount_fen * 2)
            )
            connection.execute(
                update(ledger_balances)
                .where(ledger_balances.c.account_id == leg.account_id)
                .where(ledger_balances.c.ledger_account == leg.ledger_account)
                .where(ledger_balances.c.reference == (leg.reference or ""))
                .values(balance_fen=ledger_balances.c.balance_fen + leg.amount_fen)
            )
        seq = connection.execute(
            select(audit_log.c.seq).where(audit_log.c.command == "record_inflows")
        ).scalar_one()
    return entry.entry_id, seq


def test_both_postings_of_an_entry_changed_with_the_kept_balances_are_caught(fund, history):
    before = fund.as_(["auditor"]).get_joint_account(history)["available_fen"]["cash_principal"]
    entry_id, seq = conjure(fund)
    after = fund.as_(["auditor"]).get_joint_account(history)["available_fen"]["cash_principal"]
    assert after == before + 100_000_00  # spendable, had nothing noticed
    report = verify(fund)
    assert not report["ok"]
    assert report["first_break"] == (
        f"journal entry {entry_id} differs from the audit chain (record {seq})"
    ), report


def test_the_changed_entry_rebound_in_a_rewritten_chain_is_caught_by_the_checkpoints(fund, history):
    entry_id, seq = conjure(fund)
    # ...and the record binding it rewritten to say the same, every hash after it recomputed.
    with fund.engine.begin() as connection:
        row = connection.execute(select(audit_log).where(audit_log.c.seq == seq)).one()
        detail = json.loads(row.detail)
        rewritten = 0
        for entry in detail.get("journal", []):
            if entry["entry_id"] == entry_id:
                entry["postings"] = [[a, amount * 2, r] for a, amount, r in entry["postings"]]
                rewritten += 1
        assert rewritten == 1, detail
        connection.execute(
            update(audit_log)
            .where(audit_log.c.seq == seq)
            .values(detail=json.dumps(detail, sort_keys=True, ensure_ascii=False))
        )
    recompute_chain(fund.engine)
    report = verify(fund)
    assert not report["ok"]
    assert "differs from the checkpoint" in report["first_break"], report
    assert "history rewritten" in report["first_break"]


def test_an_entry_added_or_deleted_behind_the_chain_is_caught(fund, history):
    from datetime import UTC, datetime

    from fund.adapters.tables import journal_entries

    # A balanced entry of cash out of nowhere, with its kept balances.
    with fund.engine.begin() as connection:
        connection.execute(
            journal_entries.insert().values(
                entry_id="conjured",
                account_id=history,
                kind="inflow:policy_subsidy",
                source="ICBC-X",
                created_at=datetime.now(UTC),
                created_by="user:li.fin",
            )
        )
        for ledger_account, amount in (
            ("cash_income", 5_000_00),
            ("income_policy_subsidy", -5_000_00),
        ):
            connection.execute(
                postings.insert().values(
                    entry_id="conjured",
                    account_id=history,
                    ledger_account=ledger_account,
                    amount_fen=amount,
                )
            )
            connection.execute(
                ledger_balances.insert().values(
                    account_id=history,
                    ledger_account=ledger_account,
                    reference="",
                    balance_fen=amount,
                )
            )
    report = verify(fund)
    assert report["first_break"] == "journal entry conjured is not in the audit chain", report
    with fund.engine.begin() as connection:
        connection.execute(journal_entries.delete().where(journal_entries.c.entry_id == "conjured"))
        connection.execute(postings.delete().where(postings.c.entry_id == "conjured"))
        connection.execute(
            ledger_balances.delete().where(
                ledger_balances.c.ledger_account.in_(["cash_income", "income_policy_subsidy"])
            )
        )
    assert verify(fund)["ok"]
    # An entry of the books deleted: first its journal row, then its postings too.
    with fund.engine.begin() as connection:
        entry = connection.execute(
            select(journal_entries).where(journal_entries.c.kind == "outflow:advance")
        ).first()
        connection.execute(
            journal_entries.delete().where(journal_entries.c.entry_id == entry.entry_id)
        )
    report = verify(fund)  # its postings are still there, under an entry that is not
    assert not report["ok"]
    assert report["first_break"].startswith(
        f"journal entry {entry.entry_id} differs from the audit chain"
    )
    with fund.engine.begin() as connection:
        connection.execute(postings.delete().where(postings.c.entry_id == entry.entry_id))
    report = verify(fund)
    assert report["first_break"].startswith(f"journal entry {entry.entry_id} bound by record")
    assert report["first_break"].endswith("is missing")


def test_a_payment_appended_with_its_audit_record_but_no_signed_proposal_is_caught(fund, history):
    """Someone who can write to the fund's database but holds no key appends, after the last
    checkpoint, a write-off nobody signed and the audit record that binds it: the chain holds,
    but money left without a paid proposal of its own."""
    from fund.audit_trail import audit
    from sanbao_common import ledger
    from sanbao_common.context import Caller

    assert verify(fund)["ok"]
    with fund.db.unit_of_work() as uow:
        books = Books(uow.connection)
        entry = ledger.entry(
            ledger.Posting("write_offs", 1000_00),
            ledger.Posting("advances_outstanding", -1000_00, "b0"),
            ledger.Posting("shortfall_receivable", 1000_00),
            ledger.Posting("charged_to_hr", -1000_00),
        )
        books.post(history, "forged-1", "outflow:write_off", entry, by="user:x", source="p-x")
        audit(
            books,
            Caller("532501", "user:zhou.sign", "corr"),
            "sign_outflow",
            history,
            {"proposal_id": "p-x", "status": "paid", "entry_id": "forged-1"},
        )
        uow.commit()
    report = verify(fund)
    assert not report["ok"]
    assert "journal entry forged-1 pays out without a paid proposal" in report["first_break"]
    # A second entry reusing a genuine paid proposal (and its valid signatures) is caught too.
    with fund.db.unit_of_work() as uow:
        books = Books(uow.connection)
        genuine = next(e for e in books.entries(history) if e["kind"] == "outflow:advance")
        books.post(
            history,
            "forged-2",
            "outflow:advance",
            ledger.entry(*genuine["postings"]),
            by="user:x",
            source=genuine["source"],
        )
        audit(books, Caller("532501", "user:x", "corr"), "sign_outflow", history, {})
        uow.commit()
    problems = verify(fund)["problems"]
    assert any("forged-2 pays out without a paid proposal of its own" in p for p in problems)


def test_a_payment_signed_under_seals_of_the_writers_own_is_caught(fund, history):
    """Someone who can write to the fund's database makes seals of their own for both parties
    (seal rows with no registrar's confirmation), signatories certified by them, signs the
    pending proposal with those keys, marks it paid and binds the payment into the chain: every
    certificate and signature verifies against the writer's seals, but no registrar confirmed
    them."""
    from dataclasses import replace

    from fund.adapters.tables import seals
    from fund.audit_trail import audit
    from fund.domain.posting_rules import outflow_entry
    from fund_support import Party
    from sanbao_common.context import Caller
    from sanbao_common.crypto import fingerprint, public_key_text, sign, statement_bytes

    with fund.db.reader() as uow:
        pending = Books(uow.connection).proposals(history, "532501", "pending")[0]
    signatures = []
    for real in (fund.county, fund.hr):
        forged = Party(real.org_id, real.kind)
        with fund.engine.begin() as connection:
            connection.execute(
                seals.insert().values(
                    fingerprint=forged.seal_fingerprint,
                    org_id=real.org_id,
                    org_kind=real.kind,
                    public_key=public_key_text(forged.seal),
                    status="revoked",  # not the party's effective seal: nothing looks frozen
                    confirmation="{}",
                    confirmation_signature="",
                )
            )
        fund.certify(forged, f"mallory.{real.kind}")
        personal = forged.signatories[f"mallory.{real.kind}"]
        signatures.append(
            (
                real.org_id,
                f"mallory.{real.kind}",
                fingerprint(personal),
                sign(personal, statement_bytes(pending.statement())),
            )
        )
    with fund.db.unit_of_work() as uow:
        books = Books(uow.connection)
        paid = replace(pending, signatures=tuple(signatures), status="paid")
        entry = outflow_entry(paid.kind, paid.lines)
        books.post(history, "forged-pay", "outflow:advance", entry, by="x", source=paid.proposal_id)
        books.save_proposal(paid, "forged-pay", new=False)
        audit(books, Caller("532501", "user:x", "corr"), "sign_outflow", history, {})
        uow.commit()
    report = verify(fund)
    assert not report["ok"]
    assert any(
        f"payment {pending.proposal_id}: a signatory's certificate does not verify" in problem
        for problem in report["problems"]
    )


def test_an_entry_appended_with_its_audit_record_outside_the_posting_rules_is_caught(fund, history):
    """A balanced entry on the chart's accounts, bound into the chain, that no movement of its
    kind posts: a 'subsidy' that lands in the principal's cash and the principal owed back."""
    from fund.audit_trail import audit
    from sanbao_common import ledger
    from sanbao_common.context import Caller

    with fund.db.unit_of_work() as uow:
        books = Books(uow.connection)
        entry = ledger.entry(
            ledger.Posting("cash_principal", 1000_00),
            ledger.Posting("principal_received", -1000_00),
        )
        books.post(history, "forged-in", "inflow:policy_subsidy", entry, by="user:x")
        audit(books, Caller("532501", "user:li.fin", "corr"), "record_inflows", history, {})
        uow.commit()
    report = verify(fund)
    assert report["problems"] == [
        "journal entry forged-in (inflow:policy_subsidy) does not follow the posting rules"
    ]


def test_a_correction_is_the_reversal_of_the_entry_it_names_and_is_made_once(fund, history):
    from fund.audit_trail import audit
    from sanbao_common import ledger
    from sanbao_common.context import Caller

    caller = Caller("532501", "user:li.fin", "corr")

    def correct(entry_id: str, postings, reverses: str) -> None:
        with fund.db.unit_of_work() as uow:
            books = Books(uow.connection)
            books.post(history, entry_id, "correction", postings, by="x", reverses=reverses)
            audit(books, caller, "correct_entry", history, {})
            uow.commit()

    with fund.db.reader() as uow:
        paid = next(
            e for e in Books(uow.connection).entries(history) if e["kind"] == "outflow:advance"
        )
    correct("undo-1", ledger.reversal(paid["postings"]), paid["entry_id"])
    assert verify(fund)["ok"], verify(fund)
    correct("undo-2", ledger.reversal(paid["postings"]), paid["entry_id"])
    assert (
        f"journal entry undo-2 reverses entry {paid['entry_id']} again" in verify(fund)["problems"]
    )
    half = ledger.entry(
        *(ledger.Posting(p.account, -p.amount_fen // 2, p.reference) for p in paid["postings"])
    )
    correct("undo-3", half, paid["entry_id"])
    assert (
        f"journal entry undo-3 is not the reversal of entry {paid['entry_id']}"
        in verify(fund)["problems"]
    )
    correct("undo-4", ledger.reversal(paid["postings"]), "no-such-entry")
    assert (
        "journal entry undo-4 is not the reversal of entry no-such-entry"
        in verify(fund)["problems"]
    )
