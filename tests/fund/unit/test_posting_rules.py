"""The posting rules, beside the chart of accounts: each movement debits and credits what the
table says, every rule balances on the chart, and verify's check tells a rule's entry from any
other."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fund.domain.accounts import Line
from fund.domain.ledger import CASH_ACCOUNTS, CHART, KEPT_PER_REFERENCE
from fund.domain.posting_rules import (
    POSTING_RULES,
    follows_a_rule,
    movement_entry,
    outflow_entry,
)
from fund_contract.vocabularies import INFLOW_KINDS, OUTFLOW_KINDS
from sanbao_common.ledger import Posting, balances, trial_balance_holds

# The books the guidance prescribes, written out once more by hand: movement -> its entry kind
# and its postings for 100 fen on advance "b1" (+ debit, - credit), in order.
SPEC = {
    "principal_deposit": ("inflow:principal_deposit",
                          [("cash_principal", 100, None), ("principal_received", -100, None)]),
    "service_revenue": ("inflow:service_revenue",
                        [("cash_income", 100, None), ("revenue_receivable", -100, None)]),
    "service_revenue_earned": ("inflow:service_revenue",
                               [("cash_income", 100, None),
                                ("income_service_revenue", -100, None)]),
    "policy_subsidy": ("inflow:policy_subsidy",
                       [("cash_income", 100, None), ("income_policy_subsidy", -100, None)]),
    "employer_subsidy": ("inflow:employer_subsidy",
                         [("cash_income", 100, None), ("income_employer_subsidy", -100, None)]),
    "advance_recovery": ("inflow:advance_recovery",
                         [("cash_principal", 100, None), ("advances_outstanding", -100, "b1")]),
    "shortfall_deposit": ("inflow:shortfall_deposit",
                          [("cash_principal", 100, None), ("shortfall_receivable", -100, None)]),
    "receivable": ("receivable",
                   [("revenue_receivable", 100, None), ("income_service_revenue", -100, None)]),
    "settlement": ("settlement",
                   [("expenses", 100, None), ("advances_outstanding", -100, "b1"),
                    ("shortfall_receivable", 100, None), ("charged_to_hr", -100, None)]),
    "advance": ("outflow:advance",
                [("advances_outstanding", 100, "b1"), ("cash_principal", -100, None)]),
    "reimbursement": ("outflow:reimbursement",
                      [("expenses", 100, None), ("cash_principal", -100, None),
                       ("shortfall_receivable", 100, None), ("charged_to_hr", -100, None)]),
    "distribution": ("outflow:distribution",
                     [("distributions", 100, None), ("cash_income", -100, None)]),
    "return_principal": ("outflow:return_principal",
                         [("principal_returned", 100, None), ("cash_principal", -100, None)]),
    "write_off": ("outflow:write_off",
                  [("write_offs", 100, None), ("advances_outstanding", -100, "b1"),
                   ("shortfall_receivable", 100, None), ("charged_to_hr", -100, None)]),
}  # fmt: skip


def test_the_table_has_exactly_the_movements_of_the_spec():
    assert set(POSTING_RULES) == set(SPEC)


@pytest.mark.parametrize("movement", sorted(SPEC))
def test_each_movement_debits_and_credits_what_the_table_says(movement):
    entry_kind, postings = SPEC[movement]
    assert POSTING_RULES[movement].entry_kind == entry_kind
    assert movement_entry(movement, 100, "b1") == tuple(Posting(*p) for p in postings)


@given(st.sampled_from(sorted(POSTING_RULES)), st.integers(min_value=1, max_value=10**13))
def test_every_rule_balances_on_the_chart_for_any_amount(movement, amount_fen):
    made = movement_entry(movement, amount_fen, "b1")
    assert all(p.account in CHART for p in made)
    assert trial_balance_holds(balances(made))
    # every leg moves the whole amount, debits first
    assert [abs(p.amount_fen) for p in made] == [amount_fen] * len(made)
    assert [p.amount_fen > 0 for p in made] == [True, False] * (len(made) // 2)


def test_only_accounts_kept_per_reference_carry_the_reference():
    for movement in POSTING_RULES:
        for posting in movement_entry(movement, 5, "b9"):
            assert (posting.reference == "b9") == (posting.account in KEPT_PER_REFERENCE)


def test_inflows_and_outflows_are_named_by_their_kind():
    assert set(INFLOW_KINDS) | set(OUTFLOW_KINDS) <= set(POSTING_RULES)
    for kind in INFLOW_KINDS:
        assert POSTING_RULES[kind].entry_kind == f"inflow:{kind}"
        assert POSTING_RULES[kind].legs[0][0] in CASH_ACCOUNTS  # money in debits cash
    for kind in OUTFLOW_KINDS:
        assert POSTING_RULES[kind].entry_kind == f"outflow:{kind}"


def test_each_outflow_draws_on_the_cash_account_it_credits():
    assert {kind: POSTING_RULES[kind].draws_on for kind in OUTFLOW_KINDS} == {
        "advance": "cash_principal",
        "reimbursement": "cash_principal",
        "distribution": "cash_income",
        "return_principal": "cash_principal",
        "write_off": None,
    }


def test_a_payment_posts_its_rule_once_per_line_in_order():
    lines = [Line("李", 300, "transport", "b1"), Line("王", 200, "transport", "b2")]
    assert outflow_entry("advance", lines) == (
        Posting("advances_outstanding", 300, "b1"),
        Posting("cash_principal", -300),
        Posting("advances_outstanding", 200, "b2"),
        Posting("cash_principal", -200),
    )
    assert outflow_entry("distribution", lines[:1]) == movement_entry("distribution", 300)


@pytest.mark.parametrize("movement", sorted(SPEC))
def test_verify_recognises_what_each_rule_posts(movement):
    made = list(movement_entry(movement, 12_345, "b1"))
    assert follows_a_rule(POSTING_RULES[movement].entry_kind, made)


def test_verify_refuses_what_no_rule_of_the_entry_kind_posts():
    deposit = list(movement_entry("principal_deposit", 500))
    assert not follows_a_rule("inflow:policy_subsidy", deposit)  # another kind's accounts
    assert not follows_a_rule("inflow:principal_deposit", deposit[::-1])  # sides swapped
    swapped = [Posting(p.account, -p.amount_fen) for p in deposit]
    assert not follows_a_rule("inflow:principal_deposit", swapped)
    assert not follows_a_rule("inflow:principal_deposit", deposit[:1])  # a leg missing
    assert not follows_a_rule("inflow:principal_deposit", [])
    uneven = [deposit[0], Posting("principal_received", -400)]
    assert not follows_a_rule("inflow:principal_deposit", uneven)
    settled = list(movement_entry("settlement", 500, "b1"))
    assert not follows_a_rule("settlement", settled[:2])  # the charge to the HR company left out
    misfiled = [Posting("expenses", 500, "b1"), *settled[1:]]
    assert not follows_a_rule("settlement", misfiled)  # a reference on an account not kept so
    assert not follows_a_rule("inflow:unknown", deposit)
