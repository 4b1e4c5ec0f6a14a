"""`sanbao order match ORDER [--explain]` in-process against DispatchService workers on the test's
own database: the ranked table, the explanation whose points add up to each score, the same as
JSON, and a refusal shown as one line with its code."""

from __future__ import annotations

import json
import threading

import pytest
from matching_support import feed, labourer, order_opener

from dispatch_support import Dispatch
from sanbao_common.db import create_database_engine
from sanbao_common.errors import DomainError


class Stack:
    """What the CLI calls, answered by a dispatch worker acting for one caller; a domain error
    reaches the CLI as the client would raise it."""

    def __init__(self, worker):
        self.worker, self.calls = worker, []
        self.lock = threading.Lock()

    def call(self, service, method, *args, **kwargs):
        from sanbao_cli.client import CliError
        from sanbao_common.errors import CODE_PATTERN

        self.calls.append((service, method, args))
        try:
            return getattr(self.worker, method)(*args, **kwargs)
        except DomainError as exc:
            found = CODE_PATTERN.match(str(exc))
            raise CliError(found["code"], found["message"]) from None


@pytest.fixture
def ranked(databases):
    """An order and a pool: a poor labourer who fits badly, one who fits fully."""
    engine = create_database_engine(databases["dispatch"])
    dispatch = Dispatch(engine)
    hr = dispatch.as_(["hr_operator"], dispatch.hr, user="zhou.hr")
    order_id = order_opener(dispatch, hr)(head_count=1)
    feed(dispatch, labourer("王芳", poor=True, skill_codes=[]), labourer("李秀英"))
    yield Stack(hr), order_id
    engine.dispose()


def test_the_table_lists_poor_first_with_scores(cli, ranked):
    stack, order_id = ranked
    result = cli(stack, "order", "match", order_id)
    assert result.exit_code == 0, result.output
    assert stack.calls == [("dispatch", "match_order", (order_id, False))]
    heading = f"order {order_id}: 2 of 2 eligible (up to 3: 3 x 1 wanted)"
    assert heading in " ".join(result.output.split())  # the title may wrap
    lines = [line for line in result.output.splitlines() if "王芳" in line or "李秀英" in line]
    assert ["王芳" in lines[0], "李秀英" in lines[1]] == [True, True]
    assert "75" in lines[0] and "100" in lines[1] and "532501***********X" in lines[0]


def test_explain_shows_every_factor_and_the_points_add_up(cli, ranked):
    stack, order_id = ranked
    shown = cli(stack, "order", "match", order_id, "--explain")
    assert shown.exit_code == 0, shown.output
    assert stack.calls == [("dispatch", "match_order", (order_id, True))]
    for factor in ("place", "industry", "skills", "age", "training", "wage", "start"):
        assert factor in shown.output
    assert "具备所需技能 0/1" in shown.output

    as_json = json.loads(cli(stack, "order", "match", order_id, "--explain", "--json").output)
    (weak, strong) = as_json["candidates"]
    assert (weak["name"], weak["score"], strong["score"]) == ("王芳", 75, 100)
    assert sum(f["points"] for f in weak["factors"]) == 75


def test_a_refusal_is_one_line_with_its_code(cli, ranked):
    stack, _ = ranked
    result = cli(stack, "order", "match", "no-such-order")
    assert result.exit_code == 1
    assert "JOB_ORDER_NOT_FOUND" in result.output
