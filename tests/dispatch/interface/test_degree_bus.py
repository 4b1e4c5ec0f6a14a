"""A running dispatch (a nameko container with the county's configuration) reports the degree of
organisation over RPC and on /metrics, taken on the business clock's date, and its config takes
FOLLOW_UP_GRACE_DAYS (7 unless set)."""

import uuid
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
import requests
from nameko.standalone.rpc import ClusterRpcClient
from sqlalchemy import insert

from dispatch.adapters.placement_tables import placements
from dispatch.adapters.tables import candidates
from dispatch.service import DispatchService
from sanbao_common import clock
from sanbao_common.db import create_database_engine
from testkit import TEST_COUNTY

VILLAGE = TEST_COUNTY + "001201"
DAY = date(2027, 5, 1)


def candidate(n: int, **changes) -> dict:
    row = {
        "person_id": f"p-{n}", "name": f"劳动力{n}", "id_number_masked": "532501***********X",
        "sex": "female", "birth_year": 1995, "village_code": VILLAGE, "poor": n % 2 == 0,
        "employment_status": "at_home", "willing_to_go": True, "skills": [],
        "intention_regions": [], "status": "active", "version": 1, "events_applied": 1,
        "updated_at": datetime.now(UTC), "industry_codes": [], "skill_codes": [],
        "training_intention": [],
    }  # fmt: skip
    row.update(changes)
    return row


def placement(person_id: str, starts_on: date) -> dict:
    return {
        "placement_id": str(uuid.uuid4()), "batch_id": "b-1", "order_id": "o-1",
        "agreement_id": "a-1", "agreement_version": 1, "hr_company": "org-hr",
        "employer_id": "e-1", "employer_name": "电子厂", "person_id": person_id, "name": "x",
        "id_number_masked": "532501***********X", "village_code": VILLAGE,
        "township_code": VILLAGE[:9], "agent_id": None, "poor": False,
        "place_scope": "outside_province", "place": "广东", "starts_on": starts_on,
        "wage_fen": 500000, "current_wage_fen": 500000, "status": "active", "version": 1,
        "started_at": datetime.now(UTC), "started_by": "user:hr",
    }  # fmt: skip


@pytest.fixture
def county(stack_config):
    """Four people of one village: p-0 placed outside the province on 1 March, p-1 placed on
    1 June (after DAY), p-2 working in the province on their own, p-3 at home."""
    engine = create_database_engine(stack_config["dispatch"]["DATABASE_URL"], pool_size=1)
    with engine.begin() as connection:
        connection.execute(
            insert(candidates),
            [candidate(0), candidate(1), candidate(2, employment_status="in_province"),
             candidate(3)],
        )  # fmt: skip
        connection.execute(
            insert(placements),
            [placement("p-0", date(2027, 3, 1)), placement("p-1", date(2027, 6, 1))],
        )
    engine.dispose()
    clock.set(datetime(2027, 5, 1, 9, tzinfo=timezone(timedelta(hours=8))))


def test_the_degree_over_rpc_and_on_the_metrics_page(container_factory, stack_config, token_keys,
                                                     county):  # fmt: skip
    assert stack_config["dispatch"]["FOLLOW_UP_GRACE_DAYS"] == 7
    container = container_factory(DispatchService)
    container.start()
    token = token_keys.mint(["agent"], kind="village_coop", scope=VILLAGE)
    with ClusterRpcClient(context_data={"token": token}, timeout=10) as rpc:
        reply = rpc.dispatch.organisation_degree()
    assert reply["as_of"] == DAY.isoformat() and reply["county"] == TEST_COUNTY
    assert reply["total"]["overall"] == {
        "labourers": 4, "away": 2, "organised_away": 1, "self_arranged_away": 1,
        "organised_in_county": 0, "degree_percent": "50.00",
    }  # fmt: skip
    address = stack_config["dispatch"]["HTTP_ADDRESS"]
    body = requests.get(f"http://{address}/metrics", timeout=5).text
    assert (
        "sanbao_dispatch_organisation_degree_ratio"
        f'{{area="{TEST_COUNTY}",group="overall",level="county"}} 0.5'
    ) in body
    assert f'{{area="{VILLAGE[:9]}",group="overall",level="township"}} 0.5' in body
    assert "sanbao_dispatch_placements_active 2.0" in body
    assert "sanbao_dispatch_follow_ups_overdue 1.0" in body  # p-0's, due 1 April
