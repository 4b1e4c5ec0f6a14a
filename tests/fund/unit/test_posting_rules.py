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
    RETIRED_RULES,
    follows_a_rule,
    movement_entry,
    outflow_entry,
)
from fund_contract.vocabularies import INFLOW_KINDS, OUTFLOW_KINDS
from sanbao_common.ledger import Posting, balances, trial_balance_holds

# The books the guidance prescribes, written out once more by hand: movement -> its entry kind
# and its postings for 100 fen on reference "b1" (+ debit, - credit), in order. The reference is
# the advance's batch or labourer, or the payer whose credit is held.
SPEC = {
    "principal_deposit": ("inflow:principal_deposit",
                          [("cash_principal", 100, None), ("principal_received", -100, None)]),
    # Service revenue: owed by the HR company, not yet income; income as the cash arrives.
    "receivable:service_revenue": ("receivable:service_revenue",
                                   [("revenue_receivable", 100, None),
                                    ("revenue_uncollected", -100, None)]),
    "receipt:service_revenue": ("inflow:service_revenue",
                                [("cash_income", 100, None), ("revenue_receivable", -100, None),
                                 ("revenue_uncollected", 100, None),
                                 ("income_service_revenue", -100, None)]),
    "earned:service_revenue": ("inflow:service_revenue",
                               [("cash_income", 100, None),
                                ("income_service_revenue", -100, None)]),
    "credit_held:service_revenue": ("inflow:service_revenue",
                                    [("cash_held", 100, None), ("payer_credits", -100, "b1")]),
    "credit_applied:service_revenue": ("credit_applied:service_revenue",
                                       [("payer_credits", 100, "b1"),
                                        ("revenue_receivable", -100, None),
                                        ("cash_income", 100, None), ("cash_held", -100, None),
                                        ("revenue_uncollected", 100, None),
                                        ("income_service_revenue", -100, None)]),
    # Policy subsidies, from a bureau: the same life on their own accounts.
    "receivable:policy_subsidy": ("receivable:policy_subsidy",
                                  [("policy_subsidy_receivable", 100, None),
                                   ("policy_subsidy_uncollected", -100, None)]),
    "receipt:policy_subsidy": ("inflow:policy_subsidy",
                               [("cash_income", 100, None),
                                ("policy_subsidy_receivable", -100, None),
                                ("policy_subsidy_uncollected", 100, None),
                                ("income_policy_subsidy", -100, None)]),
    "earned:policy_subsidy": ("inflow:policy_subsidy",
                              [("cash_income", 100, None), ("income_policy_subsidy", -100, None)]),
    "credit_held:policy_subsidy": ("inflow:policy_subsidy",
                                   [("cash_held", 100, None), ("payer_credits", -100, "b1")]),
    "credit_applied:policy_subsidy": ("credit_applied:policy_subsidy",
                                      [("payer_credits", 100, "b1"),
                                       ("policy_subsidy_receivable", -100, None),
                                       ("cash_income", 100, None), ("cash_held", -100, None),
                                       ("policy_subsidy_uncollected", 100, None),
                                       ("income_policy_subsidy", -100, None)]),
    # Employer subsidies, from an employer: likewise.
    "receivable:employer_subsidy": ("receivable:employer_subsidy",
                                    [("employer_subsidy_receivable", 100, None),
                                     ("employer_subsidy_uncollected", -100, None)]),
    "receipt:employer_subsidy": ("inflow:employer_subsidy",
                                 [("cash_income", 100, None),
                                  ("employer_subsidy_receivable", -100, None),
                                  ("employer_subsidy_uncollected", 100, None),
                                  ("income_employer_subsidy", -100, None)]),
    "earned:employer_subsidy": ("inflow:employer_subsidy",
                                [("cash_income", 100, None),
                                 ("income_employer_subsidy", -100, None)]),
    "credit_held:employer_subsidy": ("inflow:employer_subsidy",
                                     [("cash_held", 100, None), ("payer_credits", -100, "b1")]),
    "credit_applied:employer_subsidy": ("credit_applied:employer_subsidy",
                                        [("payer_credits", 100, "b1"),
                                         ("employer_subsidy_receivable", -100, None),
                                         ("cash_income", 100, None), ("cash_held", -100, None),
                                         ("employer_subsidy_uncollected", 100, None),
                                         ("income_employer_subsidy", -100, None)]),
    "advance_recovery": ("inflow:advance_recovery",
                         [("cash_principal", 100, None), ("advances_outstanding", -100, "b1")]),
    "shortfall_deposit": ("inflow:shortfall_deposit",
                          [("cash_principal", 100, None), ("shortfall_receivable", -100, None)]),
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
    # a payer's credit paid back to it ("b1" standing for the payer) from the cash held for it
    "credit_refund": ("outflow:credit_refund",
                      [("payer_credits", 100, "b1"), ("cash_held", -100, None)]),
}  # fmt: skip
# What entries posted before fund migration 0010 follow, which no command posts any more: service
# revenue earned when it was recorded, and cash received against such a receivable.
RETIRED_SPEC = {
    "receivable": ("receivable",
                   [("revenue_receivable", 100, None), ("income_service_revenue", -100, None)]),
    "receipt_accrued:service_revenue": ("inflow:service_revenue",
                                        [("cash_income", 100, None),
                                         ("revenue_receivable", -100, None)]),
}  # fmt: skip
INCOME_KINDS = ("service_revenue", "policy_subsidy", "employer_subsidy")
INCOME_ACCOUNTS = {f"income_{kind}" for kind in INCOME_KINDS}


def test_the_table_has_exactly_the_movements_of_the_spec():
    assert set(POSTING_RULES) == set(SPEC)
    assert set(RETIRED_RULES) == set(RETIRED_SPEC)


@pytest.mark.parametrize("movement", sorted(SPEC))
def test_each_movement_debits_and_credits_what_the_table_says(movement):
    entry_kind, postings = SPEC[movement]
    assert POSTING_RULES[movement].entry_kind == entry_kind
    assert movement_entry(movement, 100, "b1") == tuple(Posting(*p) for p in postings)


@pytest.mark.parametrize("movement", sorted(RETIRED_SPEC))
def test_each_retired_movement_is_still_what_it_posted(movement):
    entry_kind, postings = RETIRED_SPEC[movement]
    assert RETIRED_RULES[movement].entry_kind == entry_kind
    assert movement_entry(movement, 100, "b1") == tuple(Posting(*p) for p in postings)
    assert follows_a_rule(entry_kind, list(movement_entry(movement, 12_345)))


@given(
    st.sampled_from(sorted({*POSTING_RULES, *RETIRED_RULES})),
    st.integers(min_value=1, max_value=10**13),
)
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
    inflows = {kind: [] for kind in INFLOW_KINDS}
    for movement, rule in POSTING_RULES.items():
        if rule.entry_kind.startswith("inflow:"):
            inflows[rule.entry_kind.removeprefix("inflow:")].append(movement)
            assert rule.legs[0][0] in CASH_ACCOUNTS  # money in debits cash first
    for kind in INFLOW_KINDS:
        if kind in INCOME_KINDS:  # by what the credit does
            assert sorted(inflows[kind]) == [
                f"credit_held:{kind}",
                f"earned:{kind}",
                f"receipt:{kind}",
            ]
        else:
            assert inflows[kind] == [kind]
    assert set(OUTFLOW_KINDS) <= set(POSTING_RULES)
    for kind in OUTFLOW_KINDS:
        assert POSTING_RULES[kind].entry_kind == f"outflow:{kind}"


@pytest.mark.parametrize("movement", sorted(POSTING_RULES))
def test_income_is_earned_only_with_its_cash(movement):
    """An income account is credited only by a movement that puts the same amount into the
    distributable cash: recording what is owed earns nothing, and an overpayment is the payer's."""
    made = movement_entry(movement, 700, "b1")
    earned = -sum(p.amount_fen for p in made if p.account in INCOME_ACCOUNTS)
    into_income_cash = sum(p.amount_fen for p in made if p.account == "cash_income")
    assert earned in (0, 700)
    if earned:
        assert into_income_cash == earned
    if movement.startswith(("receivable:", "credit_held:")):
        assert earned == 0 and into_income_cash == 0


def test_overpayments_are_held_apart_and_spent_only_by_paying_them_back():
    for kind in INCOME_KINDS:
        accounts = {p.account for p in movement_entry(f"credit_held:{kind}", 5, "org-x")}
        assert accounts == {"cash_held", "payer_credits"}
    drawing = {kind for kind in OUTFLOW_KINDS if POSTING_RULES[kind].draws_on == "cash_held"}
    assert drawing == {"credit_refund"}
    refund = {p.account: p.amount_fen for p in movement_entry("credit_refund", 5, "org-x")}
    assert refund == {"payer_credits": 5, "cash_held": -5}  # the credit goes, with its cash


@given(
    st.sampled_from(INCOME_KINDS),
    st.integers(min_value=1, max_value=10**12),
    st.integers(min_value=0, max_value=10**12),
    st.integers(min_value=0, max_value=10**12),
)
def test_a_receivable_paid_by_cash_and_by_credit_is_income_exactly_as_paid(
    kind, owed, cash, overpaid
):
    """Owed `owed`; `cash` of it received against it, then a credit of `overpaid` held and
    applied (at most what is still open): what is still receivable is what is open, the income is
    what was paid, all of it in the distributable cash, and no credit is left behind."""
    cash = min(cash, owed)
    applied = min(overpaid, owed - cash)
    movements = [(f"receivable:{kind}", owed)]
    movements += [(f"receipt:{kind}", cash)] if cash else []
    if applied:
        movements += [(f"credit_held:{kind}", applied), (f"credit_applied:{kind}", applied)]
    made = [p for movement, amount in movements for p in movement_entry(movement, amount, "p")]
    totals = balances(made)
    assert trial_balance_holds(totals)
    receivable, uncollected, income = (
        f"{kind}_receivable",
        f"{kind}_uncollected",
        f"income_{kind}",
    )
    if kind == "service_revenue":
        receivable, uncollected = "revenue_receivable", "revenue_uncollected"
    still_open = owed - cash - applied
    assert totals.get(receivable, 0) == still_open
    assert totals.get(uncollected, 0) == -still_open
    assert totals.get(income, 0) == -(cash + applied)
    assert totals.get("cash_income", 0) == cash + applied
    assert totals.get("cash_held", 0) == 0 and totals.get("payer_credits", 0) == 0


def test_each_outflow_draws_on_the_cash_account_it_credits():
    assert {kind: POSTING_RULES[kind].draws_on for kind in OUTFLOW_KINDS} == {
        "advance": "cash_principal",
        "reimbursement": "cash_principal",
        "distribution": "cash_income",
        "return_principal": "cash_principal",
        "write_off": None,
        "credit_refund": "cash_held",
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
    # A held credit 'applied' from the principal's cash instead of the cash held for it.
    applied = list(movement_entry("credit_applied:service_revenue", 500, "org-hr"))
    from_principal = [
        Posting("cash_principal", 500) if p.account == "cash_income" else p for p in applied
    ]
    assert not follows_a_rule("credit_applied:service_revenue", from_principal)
    # A receipt without earning its income, or earned under another kind.
    receipt = list(movement_entry("receipt:service_revenue", 500))
    assert not follows_a_rule("inflow:service_revenue", receipt[:2] + receipt[3:])
    assert not follows_a_rule("inflow:policy_subsidy", receipt)
    # An overpayment booked as income while held for its payer.
    held = list(movement_entry("credit_held:policy_subsidy", 500, "org-gejiu-hrss"))
    as_income = Posting("income_policy_subsidy", -500, "org-gejiu-hrss")
    assert not follows_a_rule("inflow:policy_subsidy", [held[0], as_income])
    # A receivable recorded as income (the retired rule) under the new entry kind.
    assert not follows_a_rule("receivable:service_revenue", list(movement_entry("receivable", 500)))
