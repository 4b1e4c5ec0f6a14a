"""The degree of organisation through DispatchService and its gauges, checked against a count
made by hand: organised placements away from home over everyone working away (the four clears'
self-arranged records counted once, after organised placements), in-county placements beside,
poor labourers apart, by village, township and county, adding up; a return counts from its day.
Registry writes each placement's scope into the person's four clears when it starts (its id the
source) and sets them back when it ends, as these scenes feed the pool."""

from datetime import date, timedelta

import pytest
from matching_support import feed
from nameko import config as nameko_config
from prometheus_client import REGISTRY

from batch_support import merge_records
from dispatch_support import key
from placement_support import START, YEAR, Placements, move_clock_to
from sanbao_common.errors import InvalidInput

COUNTY = "532501"
T1, T2 = "532501001", "532501002"
V1, V2, V3 = T1 + "201", T1 + "202", T2 + "203"


def registry_writes(
    dispatch, person: dict, placement: dict | None = None, before: str = "at_home"
) -> dict:
    """What registry publishes when a placement starts (the four clears: its scope, its id the
    source) or, without one, ends (set back to what the township recorded before): the person's
    next version, as `labourer_updated`."""
    state = dict(person, version=person["version"] + 1)
    if placement is not None:
        state["employment_source"] = placement["placement_id"]
        state["employment_status"] = placement["place_scope"]
    else:
        state["employment_source"] = None
        state["employment_status"] = before
    feed(dispatch, state, event_type="labourer_updated")
    person.update(version=state["version"])
    return state


def place(scene, batch_id: str, person: dict, **changes) -> dict:
    placed = scene.start(batch_id, person, **changes)
    registry_writes(scene.dispatch, person, placed)
    return placed


@pytest.fixture
def county(dispatch):
    """By hand, on 1 August: 甲 (V1, poor) organised outside the province; 乙 (V1) organised,
    the township had recorded 省内 before the placement: organised, once; 丙 (V2) self-arranged
    省内; 丁 (V2, poor) organised in the county (县内); 戊 (V3) placed and returned on 20 March;
    己 (V3, poor) self-arranged 州内; 庚 (V3) at home. Away: 甲 乙 丙 己 = 4, organised away 2:
    50.00%. Registry wrote each placement into the four clears, and 戊's back to at home."""
    scene = Placements(dispatch)
    jia, yi, bing, ding, wu, ji, geng = (
        scene.people("甲", village_code=V1, poor=True)
        + scene.people("乙", village_code=V1, employment_status="in_province")
        + scene.people("丙", village_code=V2, employment_status="in_province")
        + scene.people("丁", village_code=V2, poor=True)
        + scene.people("戊", village_code=V3)
        + scene.people("己", village_code=V3, poor=True, employment_status="in_prefecture")
        + scene.people("庚", village_code=V3)
    )
    away = scene.arrived_batch(jia, yi, wu)
    for person in (jia, yi, wu):
        place(scene, away, person)
    local = scene.open_order(place_scope="in_county", place="个旧市", title="县城保洁")
    place(scene, scene.arrived_batch(ding, order=local), ding)
    (wu_placement,) = scene.hr.list_placements(person_id=wu["person_id"])["placements"]
    move_clock_to(date(YEAR, 3, 21))
    scene.hr.end_placement(wu_placement["placement_id"], f"{YEAR}-03-20", "returned", key())
    registry_writes(dispatch, wu)
    move_clock_to(date(YEAR, 8, 1))
    return scene


def counts(labourers, away, organised, self_arranged, in_county, degree):
    return {
        "labourers": labourers, "away": away, "organised_away": organised,
        "self_arranged_away": self_arranged, "organised_in_county": in_county,
        "degree_percent": degree,
    }  # fmt: skip


def test_the_county_figure_is_the_count_made_by_hand(dispatch, county):
    reply = county.hr.organisation_degree()
    assert (reply["as_of"], reply["by"], reply["county"]) == (f"{YEAR}-08-01", "county", COUNTY)
    (area,) = reply["areas"]
    assert area == reply["total"]
    assert area["overall"] == counts(7, 4, 2, 2, 1, "50.00")
    assert area["poor"] == counts(3, 2, 1, 1, 1, "50.00")
    # 甲 乙 戊 started 31 January: 3 months on 30 April, 6 on 31 July; 戊 left on 20 March.
    assert area["stability"] == [
        {"months": 3, "placements": 3, "employed": 2, "share_percent": "66.67"},
        {"months": 6, "placements": 3, "employed": 2, "share_percent": "66.67"},
    ]


def test_villages_add_up_to_townships_and_townships_to_the_county(dispatch, county):
    reader = dispatch.as_(["agent"], user="agent")
    villages = {a["code"]: a for a in reader.organisation_degree(by="village")["areas"]}
    townships = {a["code"]: a for a in reader.organisation_degree(by="township")["areas"]}
    assert villages[V1]["overall"] == counts(2, 2, 2, 0, 0, "100.00")
    assert villages[V2]["overall"] == counts(2, 1, 0, 1, 1, "0.00")
    assert villages[V3]["overall"] == counts(3, 1, 0, 1, 0, "0.00")
    assert townships[T1]["overall"] == counts(4, 3, 2, 1, 1, "66.67")
    assert townships[T2]["overall"] == villages[V3]["overall"]
    total = reader.organisation_degree()["total"]
    for key_ in ("labourers", "away", "organised_away", "self_arranged_away",
                 "organised_in_county"):  # fmt: skip
        assert sum(v["overall"][key_] for v in villages.values()) == sum(
            t["overall"][key_] for t in townships.values()
        ) == total["overall"][key_]  # fmt: skip
        assert sum(t["poor"][key_] for t in townships.values()) == total["poor"][key_]


def test_a_past_date_counts_what_was_active_then(dispatch, county):
    before_the_return = county.hr.organisation_degree(as_of=f"{YEAR}-03-01")["total"]
    # 戊 was still away then; 丙 and 己 are self-arranged as the four clears say now.
    assert before_the_return["overall"] == counts(7, 5, 3, 2, 1, "60.00")
    before_any = county.hr.organisation_degree(as_of=START.replace(day=30).isoformat())["total"]
    # Before any start: 甲 乙 丁's four clears are their placements' now, never self-arranged
    # (乙's earlier 省内 record is registry's history, not the pool's): 丙 and 己 only.
    assert before_any["overall"] == counts(7, 2, 0, 2, 0, "0.00")
    assert before_any["stability"][0]["share_percent"] is None
    for bad in ("2027-02-30", "yesterday"):
        with pytest.raises(InvalidInput):
            county.hr.organisation_degree(as_of=bad)
    with pytest.raises(InvalidInput):
        county.hr.organisation_degree(by="province")


def test_a_placement_under_a_merged_record_counts_for_the_person_once(dispatch):
    """甲 was placed under one record (甲一); registry then merged it into 甲's other record
    (甲二), whose four clears say 省内. One person, organised away: counted once, organised
    first."""
    scene = Placements(dispatch)
    (placed,) = scene.people("甲一", village_code=V1, poor=True)
    (kept,) = scene.people("甲二", village_code=V1, poor=True, employment_status="in_province")
    scene.start(scene.arrived_batch(placed), placed)
    merge_records(dispatch, kept, placed)
    total = scene.hr.organisation_degree()["total"]
    assert total["overall"] == counts(1, 1, 1, 0, 0, "100.00")
    assert total["poor"] == counts(1, 1, 1, 0, 0, "100.00")
    (village,) = scene.hr.organisation_degree(by="village")["areas"]
    assert (village["code"], village["overall"]) == (V1, total["overall"])


def test_a_placement_starting_ahead_is_not_self_arranged_before_its_start(dispatch):
    """Registry writes the placement into the four clears when it hears of the start, 20 days
    ahead here: until then the person is not away (not self-arranged away); from the start,
    organised away."""
    scene = Placements(dispatch)
    (jia,) = scene.people("甲", village_code=V1, poor=True)
    ahead = START + timedelta(days=20)
    placed = place(scene, scene.arrived_batch(jia), jia, starts_on=ahead.isoformat())
    assert placed["starts_on"] == ahead.isoformat()
    today = scene.hr.organisation_degree()["total"]
    assert today["overall"] == counts(1, 0, 0, 0, 0, None)
    assert today["poor"] == counts(1, 0, 0, 0, 0, None)
    on_the_start = scene.hr.organisation_degree(as_of=ahead.isoformat())["total"]
    assert on_the_start["overall"] == counts(1, 1, 1, 0, 0, "100.00")


def sample(name: str, **labels) -> float | None:
    return REGISTRY.get_sample_value(name, labels)


def test_the_gauges_show_the_county_and_each_township(dispatch, county):
    service = dispatch.admin()
    with nameko_config.patch({"COUNTY": COUNTY}):
        service.refresh_gauges()
    degree = "sanbao_dispatch_organisation_degree_ratio"
    assert sample(degree, level="county", area=COUNTY, group="overall") == 0.5
    assert sample(degree, level="county", area=COUNTY, group="poor") == 0.5
    assert sample(degree, level="township", area=T1, group="overall") == pytest.approx(2 / 3)
    assert sample(degree, level="township", area=T2, group="overall") == 0.0
    assert sample(degree, level="township", area=T2, group="poor") == 0.0
    in_county = "sanbao_dispatch_organised_in_county_labourers"
    assert sample(in_county, level="county", area=COUNTY, group="overall") == 1
    assert sample(
        "sanbao_dispatch_self_arranged_away_labourers", level="county", area=COUNTY,
        group="overall",
    ) == 2  # fmt: skip
    stability = "sanbao_dispatch_placement_stability_ratio"
    assert sample(stability, level="county", area=COUNTY, months="6") == pytest.approx(2 / 3)
    assert sample("sanbao_dispatch_placements_active") == 3
    # The 1- and 3-month follow-ups of 甲, 乙 and 丁 (the 6-month ones, 31 July, are due).
    assert sample("sanbao_dispatch_follow_ups_overdue") == 6
