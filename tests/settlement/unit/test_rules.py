"""Rules from the sealed agreement terms, and which version of a rule is in force on a day."""

from copy import deepcopy
from datetime import date

import pytest

from settlement.domain.rules import (
    MalformedTerms,
    RewardRule,
    SubsidyRule,
    agreement_in_force,
    reward_rule_for,
    rules_from_terms,
    subsidy_rule_for,
)

SHARES = {"county": 5000, "township": 2000, "village": 3000}
TERMS = {
    "purpose": "cooperation_agreement",
    "agreement_id": "agr-1",
    "version": 2,
    "reference": "云劳合〔2027〕1号",
    "county": "532501",
    "county_cooperative": "org-county",
    "hr_company": "org-hr",
    "principal_fen": 100_000_00,
    "term_start": "2027-01-01",
    "term_end": "2029-12-31",
    "bank_name": "农业银行",
    "bank_account": "6228480000000000",
    "effective_from": "2027-03-01",
    "revenue": {
        "per_placement_fen": 30000,
        "qualifying_days": 90,
        "per_month_fen": 5000,
        "max_months": 12,
        "shares_bp": SHARES,
    },
    "subsidies": {
        kind: {
            "cooperatives_bp": 6000,
            "hr_company_bp": 4000,
            "cooperative_shares_bp": {"county": 4000, "township": 2000, "village": 4000},
        }
        for kind in ("policy", "employer")
    },
    "county_cooperative_seal": "fp1",
    "hr_company_seal": "fp2",
}


def test_the_sealed_terms_give_the_rules():
    rules = rules_from_terms(TERMS)
    assert (rules.agreement_id, rules.version, rules.effective_from) == (
        "agr-1",
        2,
        date(2027, 3, 1),
    )
    assert (rules.county_cooperative, rules.hr_company) == ("org-county", "org-hr")
    assert rules.revenue.per_placement_fen == 30000 and rules.revenue.max_months == 12
    assert rules.revenue.shares_bp == SHARES
    assert rules.subsidies["policy"].cooperatives_bp == 6000
    assert rules.subsidies["employer"].cooperative_shares_bp["village"] == 4000


def _without(path: tuple[str, ...]) -> dict:
    terms = deepcopy(TERMS)
    target = terms
    for name in path[:-1]:
        target = target[name]
    del target[path[-1]]
    return terms


@pytest.mark.parametrize(
    "path",
    [
        ("effective_from",),
        ("hr_company",),
        ("revenue", "qualifying_days"),
        ("revenue", "shares_bp", "village"),
        ("subsidies", "policy"),
        ("subsidies", "employer", "hr_company_bp"),
    ],
)
def test_terms_missing_a_field_are_malformed_and_say_which(path):
    with pytest.raises(MalformedTerms) as refused:
        rules_from_terms(_without(path))
    assert refused.value.code == "MALFORMED_TERMS"
    assert refused.value.details["field"].startswith(path[0])


@pytest.mark.parametrize(
    "change",
    [
        lambda t: t["revenue"]["shares_bp"].update(county=5001),
        lambda t: t["revenue"].update(per_month_fen=-1),
        lambda t: t["revenue"].update(per_month_fen="50.00"),
        lambda t: t["subsidies"]["policy"].update(hr_company_bp=4001),
        lambda t: t.update(effective_from="2027-02-30"),
        lambda t: t.update(version=0),
    ],
)
def test_terms_with_a_bad_value_are_malformed(change):
    terms = deepcopy(TERMS)
    change(terms)
    with pytest.raises(MalformedTerms):
        rules_from_terms(terms)


def test_the_version_in_force_is_the_highest_in_effect():
    first = rules_from_terms(dict(TERMS, version=1, effective_from="2027-01-01"))
    second = rules_from_terms(TERMS)
    assert agreement_in_force([second, first], date(2026, 12, 31)) is None
    assert agreement_in_force([second, first], date(2027, 2, 28)) == first
    assert agreement_in_force([second, first], date(2027, 3, 1)) == second


def reward(rule_id, version, effective_from, village=None, fen=20000):
    return RewardRule(rule_id, version, effective_from, village, fen, 3)


def test_a_villages_own_reward_rule_comes_before_the_county_wide_one():
    county = reward("county", 1, date(2027, 1, 1))
    county_later = reward("county", 2, date(2027, 6, 1), fen=25000)
    village = reward("village", 1, date(2027, 3, 1), village="532501101201")
    rules = [county, county_later, village]
    assert reward_rule_for(rules, "532501101201", date(2027, 2, 1)) == county
    assert reward_rule_for(rules, "532501101201", date(2027, 7, 1)) == village
    assert reward_rule_for(rules, "532501101202", date(2027, 7, 1)) == county_later
    assert reward_rule_for(rules, "532501101202", date(2026, 7, 1)) is None


def test_the_latest_subsidy_rule_in_effect_applies():
    old = SubsidyRule("sub", 1, date(2027, 1, 1), "bureau", "县人社局", 50000, 90)
    new = SubsidyRule("sub", 2, date(2027, 7, 1), "bureau", "县人社局", 60000, 90)
    assert subsidy_rule_for([new, old], date(2027, 6, 30)) == old
    assert subsidy_rule_for([new, old], date(2027, 7, 1)) == new
    assert subsidy_rule_for([new, old], date(2026, 7, 1)) is None
