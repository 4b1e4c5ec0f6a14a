"""Properties of settlement's pure domain, for any placements and rule versions:

1. every item's parts add up to its amount to the fen (and an earlier day's items are the later
   day's items due by then: a past period recomputes to the same fen);
2. assembling is deterministic: the same inputs, in any order, give the same rows;
3. once a period's rows are settled, running it again as the next open period gives no rows;
4. a late placement or one that ended earlier lands as adjustment rows in the next open period
   only, and what was settled plus the adjustments is what the items now say, for every
   (item, party) not deferred; a later period lists only its own items;
5. no (statement, payee) group of a period's rows is negative.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from settlement.domain.assembly import assemble, settled_sums
from settlement.domain.items import Placement, placement_items
from settlement.domain.periods import add_months, last_day, next_period, period_of
from settlement.domain.rules import AgreementRules, Revenue, RewardRule, SubsidyRule, SubsidyShare

VILLAGES = {"532501101201": "532501101", "532501101202": "532501101", "532501102201": "532501102"}
START, END = date(2026, 6, 1), date(2027, 6, 30)
AGREEMENTS = ("agr-1", "agr-2")

shares = st.lists(st.integers(0, 10000), min_size=2, max_size=2).map(
    lambda c: dict(zip(("county", "township", "village"),
                       (min(c), max(c) - min(c), 10000 - max(c)), strict=True))
)  # fmt: skip
revenues = st.builds(Revenue, st.integers(0, 50000), st.integers(0, 120), st.integers(0, 9999),
                     st.integers(0, 8), shares)  # fmt: skip
subsidy_shares = st.builds(
    lambda coops, split: SubsidyShare(coops, 10000 - coops, split), st.integers(0, 10000), shares
)
later_days = st.lists(st.integers(1, 500), max_size=2, unique=True)
first_days = st.sampled_from([0, 0, 0, 90])  # the first in effect before any start, mostly


@st.composite
def agreement_versions(draw, agreement_id: str) -> list[AgreementRules]:
    first = draw(first_days)
    offsets = [first, *sorted(x for x in draw(later_days) if x > first)]
    versions = []
    for number, offset in enumerate(offsets, start=1):
        share = draw(subsidy_shares)
        versions.append(
            AgreementRules(agreement_id, number, START - timedelta(days=60) + timedelta(offset),
                           "org-county", f"hr-{agreement_id}", draw(revenues),
                           {"policy": share, "employer": share})
        )  # fmt: skip
    return versions


days = st.dates(min_value=START, max_value=END)
reward_rules = st.lists(
    st.builds(RewardRule, st.sampled_from(["r1", "r2"]), st.integers(1, 3), days,
              st.sampled_from([None, *VILLAGES]), st.integers(0, 30000), st.integers(0, 4)),
    max_size=3,
)  # fmt: skip
subsidy_rules = st.lists(
    st.builds(SubsidyRule, st.just("s1"), st.integers(1, 3), days, st.sampled_from(["b1", "b2"]),
              st.just("县人社局"), st.integers(0, 80000), st.integers(0, 120)),
    max_size=2,
)  # fmt: skip
villages = st.sampled_from(sorted(VILLAGES))
lengths = st.none() | st.integers(0, 400)
known_agreements = st.sampled_from(AGREEMENTS)
any_agreements = st.sampled_from([*AGREEMENTS, "agr-x"])  # agr-x: never received
agents = st.sampled_from([None, "agent-1", "agent-2"])
follow_ups = st.frozensets(st.sampled_from([1, 3, 6]))


@st.composite
def placements(draw, number: int) -> Placement:
    village, starts_on, length = draw(villages), draw(days), draw(lengths)
    agreement = draw(any_agreements if number % 5 == 4 else known_agreements)
    return Placement(
        f"pl-{number}", 1, agreement, f"hr-{agreement}", f"person-{number}", "李四",
        "5325**********0012", village, VILLAGES[village], draw(agents), draw(st.booleans()),
        starts_on, None if length is None else starts_on + timedelta(days=length),
        draw(follow_ups),
    )  # fmt: skip


@st.composite
def worlds(draw):
    versions = draw(agreement_versions("agr-1")) + draw(agreement_versions("agr-2"))
    count = draw(st.integers(1, 6))
    people = [draw(placements(n)) for n in range(count)]
    return people, versions, draw(reward_rules), draw(subsidy_rules)


def items_of(world, through: date):
    people, versions, rewards, subsidies = world
    items, pending = [], set()
    for p in people:
        found, why = placement_items(p, versions, rewards, subsidies, through)
        items += found
        pending |= {x.placement_id for x in why}
    return items, pending


def payee_for(world):
    by_id = {p.placement_id: p for p in world[0]}

    def payee_of(source, party):
        p = by_id[source.placement_id]
        return {"county": "coop-county", "township": f"coop-{p.township_code}",
                "village": f"coop-{p.village_code}", "hr_company": p.hr_company,
                "agent": source.counterparty_id}[party]  # fmt: skip

    return payee_of


def group_totals(rows, payee_of) -> dict:
    totals: dict = defaultdict(int)
    for r in rows:
        totals[(r.statement, payee_of(r.source, r.party))] += r.amount_fen
    return totals


periods = st.integers(0, 14).map(lambda n: period_of(add_months(START, n)))
later_periods = st.integers(4, 14).map(lambda n: period_of(add_months(START, n)))


@given(worlds(), days, st.integers(0, 400))
def test_parts_add_up_and_an_earlier_day_gives_the_same_items(world, through, more):
    later = through + timedelta(days=more)
    for p in world[0]:
        items, pending = placement_items(p, *world[1:], later)
        assert len({i.key for i in items}) == len(items)
        for i in items:
            assert i.due_on <= later and i.amount_fen > 0
            assert sum(i.parts.values()) == i.amount_fen and min(i.parts.values()) > 0
        if not pending:
            earlier, _ = placement_items(p, *world[1:], through)
            assert earlier == [i for i in items if i.due_on <= through]


@given(worlds(), periods, st.randoms(use_true_random=False))
def test_assembling_is_deterministic_and_a_settled_period_gives_nothing_again(world, period, rnd):
    items, pending = items_of(world, last_day(period))
    payee_of = payee_for(world)
    first = assemble(period, period, items, [], pending, payee_of)
    rnd.shuffle(items)
    assert assemble(period, period, items, [], pending, payee_of) == first
    rows, deferred = first
    assert deferred == [] and all(r.amount_fen > 0 for r in rows)
    settled = settled_sums(rows)
    assert assemble(period, period, items, settled, pending, payee_of) == ([], [])
    rows_next, _ = assemble(next_period(period), next_period(period), items, settled, pending,
                            payee_of)  # fmt: skip
    assert rows_next == []


@st.composite
def changes(draw, world):
    """The world after a late placement arrived and/or placements ended earlier than known."""
    people = list(world[0])
    for index, p in enumerate(people):
        if draw(st.booleans()):
            end = p.ended_on or END + timedelta(days=400)
            shorter = draw(st.integers(0, max(0, (end - p.starts_on).days - 1)))
            people[index] = replace(p, version=2, ended_on=p.starts_on + timedelta(shorter))
    if draw(st.booleans()):
        people.append(draw(placements(len(people))))
    return (people, *world[1:])


@given(worlds(), later_periods, st.data())
def test_changes_land_as_adjustments_in_the_next_open_period_only(world, closed, data):
    items, pending = items_of(world, last_day(closed))
    payee_of = payee_for(world)
    settled_rows, _ = assemble(closed, closed, items, [], pending, payee_of)
    settled = settled_sums(settled_rows)

    now = data.draw(changes(world))
    payee_of = payee_for(now)
    open_ = next_period(closed)
    items, pending = items_of(now, last_day(open_))
    rows, deferred = assemble(open_, open_, items, settled, pending, payee_of)
    assert all(r.period == open_ and r.amount_fen != 0 for r in rows + deferred)
    assert all(r.adjustment for r in rows + deferred if r.due_period < open_)
    assert all(total >= 0 for total in group_totals(rows, payee_of).values())

    result: dict = defaultdict(int)
    for s in settled:
        result[(s.item_key, s.party)] += s.amount_fen
    for r in rows:
        result[(r.item_key, r.party)] += r.amount_fen
    expected = {(i.key, party): fen for i in items for party, fen in i.parts.items()}
    skipped = {(r.item_key, r.party) for r in deferred}
    skipped |= {(s.item_key, s.party) for s in settled if s.placement_id in pending}
    for key in set(result) | set(expected):
        if key not in skipped:
            assert result.get(key, 0) == expected.get(key, 0), key

    later = next_period(open_)
    items, pending = items_of(now, last_day(later))
    rows, _ = assemble(later, open_, items, settled, pending, payee_of)
    assert all(r.due_period == later and not r.adjustment for r in rows)


@given(worlds(), periods, periods, st.data())
def test_no_payee_is_ever_owed_a_negative_total(world, first, second, data):
    first, second = min(first, second), max(first, second)
    items, pending = items_of(world, last_day(first))
    settled = settled_sums(assemble(first, first, items, [], pending, payee_for(world))[0])
    now = data.draw(changes(world))
    payee_of = payee_for(now)
    target = next_period(first) if second == first else second
    items, pending = items_of(now, last_day(target))
    rows, deferred = assemble(target, next_period(first), items, settled, pending, payee_of)
    assert all(total >= 0 for total in group_totals(rows, payee_of).values())
    assert all(total < 0 for total in group_totals(deferred, payee_of).values())
