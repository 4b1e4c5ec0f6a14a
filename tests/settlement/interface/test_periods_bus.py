"""A month settled by a running settlement over the real broker, with real tokens: filled from
dispatch's and registry's exchanges, run and closed by the county cooperative, its statement
read and acknowledged by the HR company (never by a county administrator on its behalf), an
agent reading their rewards; every reply travels as JSON, and the close's events leave the
outbox."""

import pytest
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ClusterRpcClient
from sqlalchemy import create_engine, func, select

from messaging_helpers import publish
from sanbao_common.messaging.tables import OUTBOX
from sanbao_common.messaging.topology import events_exchange
from settlement_periods_support import _clock, today_is  # noqa: F401
from settlement_support import (
    agreement_event,
    directory_events,
    key,
    new_id,
    placement_event,
    terms,
)
from testkit import eventually


def _rpc(tokens, who: str):
    return ClusterRpcClient(context_data={"token": tokens(who)}, timeout=30)


def _unpublished(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            query = select(func.count()).select_from(OUTBOX).where(OUTBOX.c.published_at.is_(None))
            return connection.execute(query).scalar()
    finally:
        engine.dispose()


def test_a_month_is_settled_over_the_broker(settlement_container, stack_config, tokens):
    uri = stack_config["AMQP_URI"]
    dispatch, registry = events_exchange("dispatch"), events_exchange("registry")
    publish(uri, registry, "organisation_registered", directory_events())
    publish(uri, dispatch, "agreement_sealed", [agreement_event(terms())])
    placed = new_id()
    started = placement_event("placement_started", placed, agent_id="agent-1")
    publish(uri, dispatch, "placement_started", [started])
    with _rpc(tokens, "county_admin") as rpc:
        eventually(lambda: rpc.settlement.get_inputs_summary()["placements"]["active"] == 1)
        rpc.settlement.set_reward_rule(
            {"effective_from": "2026-01-01", "per_labourer": "200.00", "after_months": 1}, key()
        )
    today_is("2026-05-06")

    with _rpc(tokens, "county_coop_operator") as rpc:
        assert rpc.settlement.run_period("2026-04", key())["total_fen"] == 5000 + 20000
        closed = rpc.settlement.close_period("2026-04", key())
    assert closed["status"] == "closed"

    with _rpc(tokens, "hr_operator") as rpc:
        (statement,) = rpc.settlement.list_statements("2026-04")["statements"]
        shown = rpc.settlement.get_statement(statement["statement_id"])
        assert shown["labourers"][0]["placement_id"] == placed
    with _rpc(tokens, "county_admin") as rpc, pytest.raises(RemoteError) as refused:
        rpc.settlement.acknowledge_statement(statement["statement_id"], [], key())
    assert refused.value.value.startswith("[FORBIDDEN]")
    with _rpc(tokens, "hr_operator") as rpc:
        acknowledged = rpc.settlement.acknowledge_statement(statement["statement_id"], [], key())
    assert acknowledged["acknowledged_fen"] == 5000
    with _rpc(tokens, "agent") as rpc:
        view = rpc.settlement.party_statement("2026-04", "agent", "agent-1")
    assert view["total_fen"] == 20000 and view["villages"][0]["income_received_fen"] == 0
    eventually(lambda: _unpublished(stack_config["settlement"]["DATABASE_URL"]) == 0)
