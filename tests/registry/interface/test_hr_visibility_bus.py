"""HR visibility over the real broker and both databases: a running registry learns from
dispatch's batch events (published on dispatch's exchange, as dispatch's relay does) which HR
company may see which person in full, closes it again on cancellation, and parks an event that
claims another source without applying it."""

import uuid

from nameko.standalone.rpc import ClusterRpcClient

from messaging_helpers import publish, queue_depth
from registry.service import RegistryService
from registry_hiring_support import HR_A, HR_B, batch_event
from sanbao_common.messaging.topology import events_exchange
from testkit import eventually


def key() -> str:
    return uuid.uuid4().hex


def test_a_batch_opens_a_person_to_its_company_until_it_is_cancelled(
    container_factory, stack_config, token_keys, sample
):
    uri = stack_config["AMQP_URI"]
    container_factory(RegistryService).start()
    coop = token_keys.mint(["coop_operator"])
    hr_a = token_keys.mint(["hr_operator"], kind="hr_company", org_id=HR_A, scope=HR_A,
                           username="a.hr")  # fmt: skip
    hr_b = token_keys.mint(["hr_operator"], kind="hr_company", org_id=HR_B, scope=HR_B,
                           username="b.hr")  # fmt: skip
    id_number = sample.id_number("532501")
    with ClusterRpcClient(context_data={"token": coop}, timeout=20) as rpc:
        anna = rpc.registry.register_labourer(
            {"name": sample.name(), "id_number": id_number, "village_code": "532501001201"},
            key(),
        )["person_id"]

    def seen_by(token):
        with ClusterRpcClient(context_data={"token": token}, timeout=20) as rpc:
            return rpc.registry.get_labourer(anna).get("id_number")

    assert seen_by(hr_a) is None
    batch = str(uuid.uuid4())
    exchange = events_exchange("dispatch")
    publish(uri, exchange, "batch_formed",
            [batch_event("batch_formed", batch, 1, "forming", {anna: "confirmed"})])  # fmt: skip
    eventually(lambda: seen_by(hr_a) == id_number)
    assert seen_by(hr_b) is None
    # Someone with the broker's admin rights sends a "cancellation" claiming to be the fund's:
    # parked in the handler's dead-letter queue, not applied.
    forged = dict(batch_event("batch_cancelled", batch, 9, "cancelled", {}), source="fund")
    publish(uri, exchange, "batch_cancelled", [forged])
    eventually(lambda: queue_depth(uri, "registry.handle_batch_cancelled.dead") == 1)
    assert seen_by(hr_a) == id_number
    publish(uri, exchange, "batch_cancelled",
            [batch_event("batch_cancelled", batch, 2, "cancelled", {anna: "invited"})])  # fmt: skip
    eventually(lambda: seen_by(hr_a) is None)
