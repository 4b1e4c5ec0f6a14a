"""What distributions read of the receivables a period's statements asked for
(settlement.periods.receivables): the receivable's period, agreement, kind and amount; the
payees' totals it covers (the statement's lines not disputed, or a dispute's lines), adding up to
its amount; who closed the period; and the fund's answers noted on the statement or dispute."""

from settlement.adapters.period_tables import disputes, statements
from settlement.periods import receivables
from settlement_periods_support import County, _clock, today_is  # noqa: F401
from settlement_support import (
    AGREEMENT,
    COUNTY_COOP,
    HR_COMPANY,
    TOWNSHIP_COOP,
    VILLAGE_COOP,
    key,
)


def _kinds(settlement) -> dict:
    return {s["kind"]: s for s in settlement.rows(statements)}


def test_receivables_cover_the_statements_lines_payee_by_payee(settlement):
    county = County(settlement, reward=None)
    first = county.place(poor=True)
    second = county.place(starts_on="2026-03-20")
    today_is("2026-05-06")
    county.close("2026-04")
    revenue, subsidy = _kinds(settlement)["service_revenue"], _kinds(settlement)["policy_subsidy"]
    with settlement.db.reader() as uow:
        assert receivables.receivable_meta(uow.connection, revenue["statement_id"]) is None
        assert receivables.receivable_meta(uow.connection, subsidy["statement_id"]) == {
            "period": "2026-04", "agreement_id": AGREEMENT, "kind": "policy_subsidy",
            "amount_fen": 50000,
        }  # fmt: skip
        assert receivables.payee_totals(uow.connection, subsidy["statement_id"]) == {
            COUNTY_COOP: 12000, HR_COMPANY: 20000, TOWNSHIP_COOP: 6000, VILLAGE_COOP: 12000,
        }  # fmt: skip
        assert receivables.closer_of(uow.connection, subsidy["statement_id"]) == {
            "user_id": "wang.coop", "username": "wang.coop", "organisation_id": COUNTY_COOP,
        }  # fmt: skip
    settlement.hr_operator().acknowledge_statement(
        revenue["statement_id"], [{"placement_id": second, "reason": "未满月"}], key()
    )
    settlement.county_admin().resolve_dispute(revenue["statement_id"], 1, "owed", None, key())
    owed = f"{revenue['statement_id']}:d1"

    with settlement.db.unit_of_work() as uow:
        meta = receivables.receivable_meta(uow.connection, revenue["statement_id"])
        assert meta["amount_fen"] == 5000 and meta["kind"] == "service_revenue"
        covered = receivables.payee_totals(uow.connection, revenue["statement_id"])
        assert covered == {COUNTY_COOP: 2500, TOWNSHIP_COOP: 1000, VILLAGE_COOP: 1500}
        assert receivables.payee_totals(uow.connection, owed) == covered
        assert receivables.receivable_meta(uow.connection, owed)["amount_fen"] == 5000
        assert receivables.receivable_meta(uow.connection, "no-such") is None
        assert receivables.receivable_meta(uow.connection, f"{owed}x") is None
        receivables.note_receivable(uow.connection, revenue["statement_id"], "rcv-1", 2000)
        # Out of order: the recording (nothing paid) after a match; a refusal after recording.
        receivables.note_receivable(uow.connection, revenue["statement_id"], "rcv-1", 0)
        receivables.note_receivable_refused(uow.connection, revenue["statement_id"], "again")
        receivables.note_receivable_refused(uow.connection, owed, {"code": "X", "details": {}})
        uow.commit()

    noted = _kinds(settlement)["service_revenue"]
    assert (noted["receivable_state"], noted["receivable_id"], noted["paid_fen"]) == (
        "recorded", "rcv-1", 2000,
    )  # fmt: skip
    (dispute,) = settlement.rows(disputes)
    assert dispute["receivable_state"] == "refused" and '"X"' in dispute["receivable_reason"]
    assert first != second
