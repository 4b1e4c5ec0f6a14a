"""`sanbao employer` and `sanbao order` against dispatch's real entrypoints on the test's own
database: an HR operator registers an employer and a station, opens an order under its sealed
agreement, reads and ends it; a bad order is refused with the service's words and nothing
opened."""

import json
from datetime import timedelta
from types import SimpleNamespace

import pytest

from cli_support import Workers
from dispatch_support import HR_ORG, Dispatch, today
from sanbao_common.db import create_database_engine

DIRECTORY = [{"org_id": HR_ORG, "name": "红河人力资源有限公司"}]


@pytest.fixture
def dispatch(databases):
    engine = create_database_engine(databases["dispatch"])
    yield Dispatch(engine)
    engine.dispose()


@pytest.fixture
def hr(dispatch):
    registry = SimpleNamespace(list_organisations=lambda kind=None, under=None: DIRECTORY)
    worker = dispatch.as_(["hr_operator"], dispatch.hr, user="zhou.hr")
    return Workers(dispatch=worker, registry=registry)


def ok(result):
    assert result.exit_code == 0, result.output
    return result


def test_an_hr_operator_works_an_order_from_the_command_line(cli, dispatch, hr):
    agreement_id = dispatch.sealed_agreement()
    employer = json.loads(ok(cli(hr, "employer", "add", "--name", "东莞市长安电子科技有限公司",
        "--credit-code", "91350100m000100y43", "--scope", "省外", "--place", "广东省东莞市",
        "--industry", "电子厂", "--json")).output)  # fmt: skip
    assert (employer["credit_code"], employer["place_scope"], employer["industry"]) == (
        "91350100M000100Y43", "outside_province", "C39",
    )  # fmt: skip
    station = json.loads(ok(cli(hr, "employer", "station", "add", "--name", "东莞服务站",
        "--scope", "outside_province", "--place", "东莞市长安镇", "--json")).output)  # fmt: skip
    listed = ok(cli(hr, "employer", "station", "list")).output
    assert "红河人力资源有限公司" in listed and "东莞服务站" in listed

    starts = (today() + timedelta(days=10)).isoformat()
    opened = json.loads(ok(cli(hr, "order", "open", "--agreement", agreement_id, "--employer",
        employer["employer_id"], "--station", station["station_id"], "--title", "电子厂普工",
        "--head-count", "12", "--wage-min", "4,500", "--wage-max", "6000.00", "--skill", "普工",
        "--skill", "electrician", "--age-min", "18", "--age-max", "40", "--starts-on", starts,
        "--json")).output)  # fmt: skip
    assert opened["skills"] == ["assembler", "electrician"]
    assert (opened["wage_min_fen"], opened["head_count"], opened["starts_on"]) == (
        450000, 12, starts,
    )  # fmt: skip

    shown = ok(cli(hr, "order", "show", opened["order_id"])).output
    assert "4,500.00 – 6,000.00" in shown and "18 – 40" in shown
    assert "红河人力资源有限公司" in shown
    listed = ok(cli(hr, "order", "list", "--status", "open")).output
    assert "电子厂普工" in listed and "东莞市长安电子科技有限公司" in listed

    ended = json.loads(ok(cli(hr, "order", "close", opened["order_id"], "--outcome", "filled",
        "--json")).output)  # fmt: skip
    assert (ended["status"], ended["version"]) == ("filled", 2)
    assert "job_order_closed" in {e["type"] for e in dispatch.events()}


def test_a_bad_order_is_refused_with_the_services_words(cli, dispatch, hr):
    agreement_id = dispatch.sealed_agreement()
    employer = json.loads(ok(cli(hr, "employer", "add", "--name", "个旧市建筑工程有限公司",
        "--credit-code", "91532501MA6K0R1X2A", "--scope", "in_county", "--place", "个旧市",
        "--industry", "E47", "--json")).output)  # fmt: skip
    starts = (today() + timedelta(days=10)).isoformat()
    refused = cli(hr, "order", "open", "--agreement", agreement_id, "--employer",
        employer["employer_id"], "--title", "砌筑工", "--head-count", "0", "--wage-min", "5000",
        "--wage-max", "4000", "--starts-on", starts)  # fmt: skip
    assert refused.exit_code != 0
    assert "JOB_ORDER_REJECTED" in refused.output
    assert "head count must be 1 to 10000" in refused.output
    assert "wage_min is more than wage_max" in refused.output
    assert json.loads(ok(cli(hr, "order", "list", "--json")).output) == {"orders": []}

    bad_code = cli(hr, "employer", "add", "--name", "某公司", "--credit-code",
        "91532501MA6K0R1X2B", "--scope", "县内", "--place", "个旧市",
        "--industry", "E47")  # fmt: skip
    assert bad_code.exit_code != 0 and "check character is wrong" in bad_code.output


def test_the_order_commands_are_all_there(cli):
    shown = ok(cli(Workers(), "order", "--help")).output
    for command in ("open", "close", "show", "list", "match"):
        assert command in shown
    assert "station" in ok(cli(Workers(), "employer", "--help")).output
