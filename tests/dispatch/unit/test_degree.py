"""The degree of organisation (docs/organisation-degree.md), computed as a pure function:
a worked example by hand, and properties: never above 100%, each person once, an organised
placement before a self-arranged record, villages adding up to townships adding up to the county."""

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from dispatch.degree.compute import (
    Person,
    PlacementFact,
    active_on,
    area_of_level,
    classify,
    degree_by,
    percent,
)

COUNTY = "532501"
T1, T2 = "532501001", "532501002"
V1, V2, V3 = T1 + "201", T1 + "202", T2 + "203"
AS_OF = date(2027, 8, 1)


def everyone(people, placements, level="county"):
    return degree_by(people, placements, AS_OF, area_of_level(level, COUNTY))


def test_the_worked_example_of_the_docs():
    # Registry writes an active placement's scope into the four clears, its id the source.
    people = [
        Person("a", V1, True, "outside_province", "pl-a"),  # organised outside the province
        Person("b", V1, False, "in_province", "pl-b"),  # organised, the four clears its scope
        Person("c", V1, False, "in_province"),  # self-arranged away
        Person("d", V2, True, "in_prefecture"),  # self-arranged away, poor
        Person("e", V2, False, "in_county", "pl-e"),  # organised in the county
        Person("f", V3, False, "at_home"),  # placement ended: the four clears set back
        Person("g", V3, True, "at_home"),  # nothing
    ]
    placements = [
        PlacementFact("a", "outside_province", date(2027, 1, 31), None),
        PlacementFact("b", "in_province", date(2027, 5, 10), None),
        PlacementFact("e", "in_county", date(2027, 7, 1), None),
        PlacementFact("f", "outside_province", date(2027, 1, 15), date(2027, 3, 20)),
    ]
    (county,) = everyone(people, placements).values()
    overall = county.overall.as_reply()
    assert overall == {
        "labourers": 7, "away": 4, "organised_away": 2, "self_arranged_away": 2,
        "organised_in_county": 1, "degree_percent": "50.00",
    }  # fmt: skip
    assert county.poor.as_reply() == {
        "labourers": 3, "away": 2, "organised_away": 1, "self_arranged_away": 1,
        "organised_in_county": 0, "degree_percent": "50.00",
    }  # fmt: skip
    # Stability: a (31 Jan) and f (15 Jan) reached 3 months (30 Apr, 15 Apr) and 6 months
    # (31 Jul, 15 Jul); b (10 May) reached neither; f ended before both.
    assert (county.stability[3].placements, county.stability[3].employed) == (2, 1)
    assert (county.stability[6].placements, county.stability[6].employed) == (2, 1)
    villages = everyone(people, placements, "village")
    assert {v: f.overall.organised_away for v, f in villages.items()} == {V1: 2, V2: 0, V3: 0}
    assert percent(2, 3) == "66.67" and percent(0, 0) is None and percent(1, 8) == "12.50"


def test_a_placement_is_active_from_its_start_to_the_day_before_its_end():
    placement = PlacementFact("a", "outside_province", date(2027, 3, 1), date(2027, 5, 1))
    assert not active_on(placement, date(2027, 2, 28))
    assert active_on(placement, date(2027, 3, 1))
    assert active_on(placement, date(2027, 4, 30))
    assert not active_on(placement, date(2027, 5, 1))


def test_an_organised_placement_comes_before_what_the_four_clears_say():
    person = Person("a", V1, False, "outside_province")
    assert classify(person, {"in_province"}) == "organised_away"
    assert classify(person, {"in_county"}) == "organised_in_county"
    assert classify(person, set()) == "self_arranged_away"
    assert classify(Person("b", V1, False, "in_county"), set()) is None


def test_four_clears_from_a_placement_are_never_self_arranged():
    """Registry writes a placement's scope into the four clears as soon as it hears of the
    start, which may be up to 31 days ahead: before the start (and after an end not yet set
    back) that person is not away, not self-arranged away."""
    person = Person("a", V1, False, "outside_province", "pl-1")
    placement = PlacementFact("a", "outside_province", date(2027, 1, 20), date(2027, 5, 1))
    before = degree_by([person], [placement], date(2027, 1, 10), area_of_level("county", COUNTY))
    assert before[COUNTY].overall.as_reply() == {
        "labourers": 1, "away": 0, "organised_away": 0, "self_arranged_away": 0,
        "organised_in_county": 0, "degree_percent": None,
    }  # fmt: skip
    on_the_start = degree_by(
        [person], [placement], date(2027, 1, 20), area_of_level("county", COUNTY)
    )
    assert on_the_start[COUNTY].overall.as_reply()["degree_percent"] == "100.00"
    after = degree_by([person], [placement], date(2027, 5, 1), area_of_level("county", COUNTY))
    assert after[COUNTY].overall.away == 0
    assert classify(person, set()) is None
    assert classify(person, {"outside_province"}) == "organised_away"
    assert classify(person, {"in_county"}) == "organised_in_county"


def test_a_placement_ending_on_its_3_month_date_was_not_employed_then():
    """`ended_on` is the first day no longer at work: a placement ending on its 3-month date
    was not still employed on it; one ending the day after was."""
    people = [Person("a", V1, False, "at_home"), Person("b", V1, False, "at_home")]
    placements = [
        PlacementFact("a", "outside_province", date(2027, 1, 31), date(2027, 4, 30)),
        PlacementFact("b", "outside_province", date(2027, 1, 31), date(2027, 5, 1)),
    ]
    (county,) = everyone(people, placements).values()
    assert (county.stability[3].placements, county.stability[3].employed) == (2, 1)
    assert (county.stability[6].placements, county.stability[6].employed) == (2, 0)


villages = st.sampled_from([V1, V2, V3, T2 + "204"])
statuses = st.sampled_from(
    [None, "at_home", "in_county", "in_prefecture", "in_province", "outside_province",
     "unemployed", "unable_to_work"]
)  # fmt: skip
scopes = st.sampled_from(["in_county", "in_prefecture", "in_province", "outside_province"])
days = st.integers(min_value=-400, max_value=60)


@st.composite
def pools(draw):
    count = draw(st.integers(min_value=0, max_value=30))
    people = [
        Person(
            f"p{n}", draw(villages), draw(st.booleans()), draw(statuses),
            draw(st.sampled_from([None, None, f"pl-{n}"])),
        )
        for n in range(count)
    ]  # fmt: skip
    placements = []
    for _ in range(draw(st.integers(min_value=0, max_value=40))):
        # some placements are of people no longer in the pool (merged): not counted
        person = draw(st.integers(min_value=0, max_value=count + 2))
        start = AS_OF + timedelta(days=draw(days))
        length = draw(st.one_of(st.none(), st.integers(min_value=0, max_value=400)))
        end = None if length is None else start + timedelta(days=length)
        placements.append(PlacementFact(f"p{person}", draw(scopes), start, end))
    return people, placements


@given(pools())
def test_never_above_100_percent_and_each_person_once(pool):
    people, placements = pool
    for level in ("county", "township", "village"):
        for figures in everyone(people, placements, level).values():
            for counts in (figures.overall, figures.poor):
                assert counts.organised_away <= counts.away
                assert counts.away == counts.organised_away + counts.self_arranged_away
                placed_or_away = counts.away + counts.organised_in_county
                assert placed_or_away <= counts.labourers
                degree = counts.as_reply()["degree_percent"]
                assert degree is None or 0 <= float(degree) <= 100
            for stability in figures.stability.values():
                assert 0 <= stability.employed <= stability.placements
    (county,) = everyone(people, placements).values() or [None]
    if county is not None:
        assert county.overall.labourers == len(people)
        assert county.poor.labourers == sum(p.poor for p in people)


@given(pools())
def test_organised_people_are_counted_as_organised_whatever_the_four_clears_say(pool):
    people, placements = pool
    away = {"in_prefecture", "in_province", "outside_province"}
    placed_away = {p.person_id for p in placements if active_on(p, AS_OF) and p.place_scope in away}
    expected = sum(1 for person in people if person.person_id in placed_away)
    (county,) = everyone(people, placements).values() or [None]
    assert (county.overall.organised_away if county else 0) == expected
    # Self-arranged: only the township's own records of work away, of people not placed.
    placed = {p.person_id for p in placements if active_on(p, AS_OF)}
    self_arranged = sum(
        1
        for person in people
        if person.person_id not in placed
        and person.employment_source is None
        and person.employment_status in away
    )
    assert (county.overall.self_arranged_away if county else 0) == self_arranged


@given(pools())
def test_villages_add_up_to_their_townships_and_townships_to_the_county(pool):
    people, placements = pool
    by_village = everyone(people, placements, "village")
    by_township = everyone(people, placements, "township")
    by_county = everyone(people, placements, "county")

    def totals(figures_by_area, key):
        sums = {}
        for code, figures in figures_by_area.items():
            row = (
                figures.overall.as_reply(), figures.poor.as_reply(),
                {m: (s.placements, s.employed) for m, s in figures.stability.items()},
            )  # fmt: skip
            sums.setdefault(key(code), []).append(row)
        return {code: _add(rows) for code, rows in sums.items()}

    assert totals(by_village, lambda v: v[:9]) == totals(by_township, lambda t: t)
    assert totals(by_township, lambda t: COUNTY) == totals(by_county, lambda c: c)


def _add(rows):
    counts = ("labourers", "away", "organised_away", "self_arranged_away", "organised_in_county")
    overall = {k: sum(r[0][k] for r in rows) for k in counts}
    poor = {k: sum(r[1][k] for r in rows) for k in counts}
    stability = {m: tuple(map(sum, zip(*(r[2][m] for r in rows), strict=True))) for m in (3, 6)}
    return overall, poor, stability


@given(pools())
def test_each_area_is_what_its_own_people_alone_give(pool):
    """Computed apart, each township's (each village's) people give that area's figures: the
    areas' figures are sums over their own people, so they add up to the county's."""
    people, placements = pool
    for level, cut in (("township", 9), ("village", 12)):
        areas = everyone(people, placements, level)
        for code, figures in areas.items():
            own = [p for p in people if p.village_code[:cut] == code]
            (alone,) = everyone(own, placements).values()
            assert _add([_row(alone)]) == _add([_row(figures)])


def _row(figures):
    return (
        figures.overall.as_reply(), figures.poor.as_reply(),
        {m: (s.placements, s.employed) for m, s in figures.stability.items()},
    )  # fmt: skip
