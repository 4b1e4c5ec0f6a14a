"""A village cooperative's double-entry books: income in, uses out, the balance never short."""

import pytest

from sanbao_common.ledger import balances, trial_balance_holds
from settlement.domain.books import (
    CHART,
    USES,
    AmountNotPositive,
    UnknownUse,
    VillageBalanceShort,
    bank_balance,
    ensure_covers,
    income_entry,
    use_entry,
)


def test_income_and_uses_post_on_the_chart_and_balance():
    postings = [*income_entry(100_00, "dist-1"), *use_entry("public_works", 30_00, "凭证-1")]
    assert bank_balance(postings) == 70_00
    totals = balances(postings)
    assert totals == {"bank": 70_00, "distribution_income": -100_00, "public_works": 30_00}
    assert trial_balance_holds(totals) and set(totals) <= set(CHART)
    assert all(p.reference for p in postings)


@pytest.mark.parametrize("use", USES)
def test_each_use_debits_itself_and_credits_the_bank(use):
    debit, credit = use_entry(use, 1, "ref")
    assert (debit.account, debit.amount_fen, credit.account, credit.amount_fen) == (
        use, 1, "bank", -1,
    )  # fmt: skip


def test_bad_uses_and_amounts_are_refused():
    with pytest.raises(UnknownUse):
        use_entry("banquets", 100, "ref")
    with pytest.raises(AmountNotPositive):
        income_entry(0, "ref")
    with pytest.raises(AmountNotPositive):
        use_entry("working_costs", -5, "ref")


def test_a_use_beyond_the_balance_is_short():
    ensure_covers(100, 100)
    with pytest.raises(VillageBalanceShort) as refused:
        ensure_covers(99, 100)
    assert refused.value.code == "VILLAGE_BALANCE_SHORT"
