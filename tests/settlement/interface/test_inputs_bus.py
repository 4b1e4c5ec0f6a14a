"""settlement's inputs over the real broker: a running settlement takes dispatch's sealed
agreements and placements and registry's organisations from their exchanges, keeps a refused
agreement's reason without parking it, and counts what it holds for operators."""

from nameko.standalone.rpc import ClusterRpcClient

from messaging_helpers import publish, queue_depth
from sanbao_common.messaging.topology import events_exchange
from settlement_support import (
    agreement_event,
    directory_events,
    new_id,
    placement_event,
    terms,
)
from testkit import eventually


def test_a_running_settlement_fills_itself_from_the_bus(settlement_container, stack_config, tokens):
    uri = stack_config["AMQP_URI"]
    dispatch, registry = events_exchange("dispatch"), events_exchange("registry")
    publish(uri, registry, "organisation_registered", directory_events())
    bad = agreement_event(terms("a-bad", shares=(1, 2, 3)))
    publish(uri, dispatch, "agreement_sealed", [agreement_event(terms()), bad])
    placement_id = new_id()
    publish(
        uri, dispatch, "placement_started", [placement_event("placement_started", placement_id)]
    )
    publish(uri, dispatch, "placement_ended",
            [placement_event("placement_ended", placement_id, 2, status="ended",
                             ended_on="2026-05-01")])  # fmt: skip

    def summary():
        with ClusterRpcClient(context_data={"token": tokens("county_admin")}, timeout=20) as rpc:
            return rpc.settlement.get_inputs_summary()

    eventually(
        lambda: (
            (s := summary())["placements"] == {"active": 0, "ended": 1}
            and s["agreements"] == 1
            and s["refused_inputs"] == 1
            and s["organisations"] == 4
        )
    )
    assert queue_depth(uri, "settlement.handle_agreement_sealed.dead") == 0
    assert summary()["latest_refused"][0]["record_id"] == "a-bad"
