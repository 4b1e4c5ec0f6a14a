"""The kit's double-entry primitives: what makes an entry, balances summed from postings, and the
reversal that corrects an entry."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sanbao_common.ledger import (
    Posting,
    UnbalancedEntry,
    balances,
    entry,
    reversal,
    trial_balance_holds,
)

ACCOUNTS = ("cash", "income", "advances", "expenses")


def test_an_entry_is_two_or_more_nonzero_integer_postings_that_sum_to_zero():
    made = entry(Posting("cash", 500), Posting("income", -300), Posting("advances", -200, "b1"))
    assert made == (Posting("cash", 500), Posting("income", -300), Posting("advances", -200, "b1"))
    with pytest.raises(UnbalancedEntry, match="at least two postings"):
        entry(Posting("cash", 0))
    with pytest.raises(UnbalancedEntry, match="non-zero integer fen"):
        entry(Posting("cash", 0), Posting("income", 0))
    with pytest.raises(UnbalancedEntry, match="non-zero integer fen"):
        entry(Posting("cash", 1.5), Posting("income", -1.5))
    with pytest.raises(UnbalancedEntry, match="non-zero integer fen"):
        entry(Posting("cash", True), Posting("income", -1))
    with pytest.raises(UnbalancedEntry, match="total=1"):
        entry(Posting("cash", 101), Posting("income", -100))


def test_the_error_keeps_the_code_clients_branch_on():
    assert UnbalancedEntry.code == "UNBALANCED_ENTRY"
    assert str(UnbalancedEntry()).startswith("[UNBALANCED_ENTRY] ")


def test_a_chart_limits_the_accounts():
    chart = {"cash", "income"}
    assert entry(Posting("cash", 1), Posting("income", -1), chart=chart)
    with pytest.raises(UnbalancedEntry, match="account=loans"):
        entry(Posting("cash", 1), Posting("loans", -1), chart=chart)


def test_the_reversal_posts_every_posting_again_on_the_other_side_in_order():
    original = entry(Posting("advances", 900, "b1"), Posting("cash", -900))
    assert reversal(original) == (Posting("advances", -900, "b1"), Posting("cash", 900))
    assert reversal(reversal(original)) == original
    with pytest.raises(UnbalancedEntry, match="account=advances"):
        reversal(original, chart={"cash"})


def test_balances_sum_each_account_debit_positive():
    postings = [
        Posting("cash", 500),
        Posting("income", -500),
        Posting("advances", 200, "b1"),
        Posting("cash", -200),
    ]
    assert balances(postings) == {"cash": 300, "income": -500, "advances": 200}
    assert balances([]) == {}
    assert trial_balance_holds(balances(postings))
    assert not trial_balance_holds({"cash": 1})


amounts = st.integers(min_value=1, max_value=10**12)
legs = st.lists(
    st.tuples(st.sampled_from(ACCOUNTS), st.sampled_from(ACCOUNTS), amounts), min_size=1
)


@given(legs)
def test_any_set_of_entries_balances_and_their_reversals_bring_every_account_back_to_zero(legs):
    entries = [entry(Posting(debit, x), Posting(credit, -x)) for debit, credit, x in legs]
    posted = [p for made in entries for p in made]
    assert trial_balance_holds(balances(posted))
    undone = posted + [p for made in entries for p in reversal(made)]
    assert set(balances(undone).values()) <= {0}
