"""Every exchange, queue, binding, user and permission of one county's vhost.

Declared at deployment (`make run`, `sanbao topology apply`) with the county's admin
credentials, before any service publishes: nameko would drop an event no queue is bound for, and
`mandatory` only notices when *no* queue is bound. Declaring is idempotent; declaring a queue that
exists with other arguments fails loudly instead of changing it.

Per consumer handler (queue `Q` = `<consumer>.<handler>`):
- `Q`: quorum queue, bound to `<source>.events` by the event type and by `replay.Q` (replays
  from the publisher's outbox reach only this queue), and to `<consumer>.requeue` by `Q`;
  after DELIVERY_LIMIT deliveries (a message that kills its consumer every time) the broker
  dead-letters it to `<consumer>.dead`.
- `Q.retry.<n>`: one delay queue per backoff step; a failed message waits there RETRY_DELAYS[n]
  and comes back to `Q` through `<consumer>.requeue`.
- `Q.dead`: parked messages, each with its reason, until an operator replays them.

Who may do what (`users_and_permissions`): each service writes only to its own `.events`,
`.retry` and `.dead` exchanges and the RPC exchange; the CLI's user only makes RPC calls; nobody
but the admin publishes to the default exchange or to another service's exchanges. On the topic
RPC exchange, binding keys are restricted too, so no user can bind a queue that copies another
service's calls.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import amqp

from sanbao_common.messaging.subscriptions import SUBSCRIPTIONS, Subscription

SERVICES = ("registry", "dispatch", "fund", "settlement", "notify")
RPC_EXCHANGE = "nameko-rpc"
RETRY_DELAYS_SECONDS = (1, 10, 60)
DELIVERY_LIMIT = 20
CLI_USER_ROLE = "cli"


def max_attempts() -> int:
    """First delivery, then one more after each delay."""
    return len(RETRY_DELAYS_SECONDS) + 1


def events_exchange(service: str) -> str:
    return f"{service}.events"


def retry_exchange(service: str) -> str:
    return f"{service}.retry"


def dead_exchange(service: str) -> str:
    return f"{service}.dead"


def requeue_exchange(service: str) -> str:
    return f"{service}.requeue"


def retry_queue(queue: str, step: int) -> str:
    return f"{queue}.retry.{step}"


def dead_queue(queue: str) -> str:
    return f"{queue}.dead"


def replay_routing_key(queue: str) -> str:
    return f"replay.{queue}"


def consumer_queue_arguments(subscription: Subscription) -> dict:
    """Arguments of a consumer queue; the consumer declares nothing, but checks them passively."""
    return {
        "x-queue-type": "quorum",
        "x-delivery-limit": DELIVERY_LIMIT,
        "x-dead-letter-exchange": dead_exchange(subscription.consumer),
        "x-dead-letter-routing-key": subscription.queue,
    }


@dataclass(frozen=True)
class Exchange:
    name: str
    type: str


@dataclass(frozen=True)
class Queue:
    name: str
    arguments: dict = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class Binding:
    queue: str
    exchange: str
    routing_key: str


@dataclass
class Topology:
    exchanges: list[Exchange] = field(default_factory=list)
    queues: list[Queue] = field(default_factory=list)
    bindings: list[Binding] = field(default_factory=list)


def county_topology(subscriptions: tuple[Subscription, ...] = SUBSCRIPTIONS) -> Topology:
    topology = Topology()
    topology.exchanges.append(Exchange(RPC_EXCHANGE, "topic"))
    for service in SERVICES:
        topology.exchanges += [
            Exchange(events_exchange(service), "topic"),
            Exchange(retry_exchange(service), "direct"),
            Exchange(dead_exchange(service), "direct"),
            Exchange(requeue_exchange(service), "direct"),
        ]
    for sub in subscriptions:
        queue = sub.queue
        topology.queues.append(Queue(queue, consumer_queue_arguments(sub)))
        topology.bindings += [
            Binding(queue, events_exchange(sub.source), sub.event_type),
            Binding(queue, events_exchange(sub.source), replay_routing_key(queue)),
            Binding(queue, requeue_exchange(sub.consumer), queue),
        ]
        for step, delay in enumerate(RETRY_DELAYS_SECONDS, start=1):
            name = retry_queue(queue, step)
            topology.queues.append(
                Queue(
                    name,
                    {
                        "x-message-ttl": int(delay * 1000),
                        "x-dead-letter-exchange": requeue_exchange(sub.consumer),
                        "x-dead-letter-routing-key": queue,
                    },
                )
            )
            topology.bindings.append(Binding(name, retry_exchange(sub.consumer), name))
        topology.queues.append(Queue(dead_queue(queue), {"x-queue-mode": "lazy"}))
        topology.bindings.append(Binding(dead_queue(queue), dead_exchange(sub.consumer), queue))
    return topology


def declare(connection: amqp.Connection, topology: Topology | None = None) -> Topology:
    """Declare everything (admin credentials); idempotent."""
    topology = topology or county_topology()
    channel = connection.channel()
    try:
        for exchange in topology.exchanges:
            channel.exchange_declare(exchange.name, exchange.type, durable=True, auto_delete=False)
        for queue in topology.queues:
            channel.queue_declare(
                queue.name, durable=True, auto_delete=False, arguments=queue.arguments
            )
        for binding in topology.bindings:
            channel.queue_bind(binding.queue, binding.exchange, binding.routing_key)
    finally:
        channel.close()
    return topology


# -- users and permissions -------------------------------------------------------------------


@dataclass(frozen=True)
class Permissions:
    configure: str
    write: str
    read: str
    rpc_topic_write: str  # routing keys it may publish with on the RPC exchange
    rpc_topic_read: str  # binding keys it may bind queues with on the RPC exchange


_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
# nameko's RPC: calls are routed by `<service>.<method>`, replies by the reply queue's UUID.
_RPC_CALL_OR_REPLY = rf"^([a-z]+\.[a-z_]+|{_UUID})$"


def _names(*names: str) -> str:
    return "^(" + "|".join(names) + ")$"


def service_permissions(service: str) -> Permissions:
    own = re.escape(service)
    reply_queues = rf"rpc\.reply-{own}-{_UUID}"
    return Permissions(
        configure=_names(re.escape(RPC_EXCHANGE), f"rpc-{own}", reply_queues),
        write=_names(
            re.escape(RPC_EXCHANGE),
            re.escape(events_exchange(service)),
            re.escape(retry_exchange(service)),
            re.escape(dead_exchange(service)),
            f"rpc-{own}",
            reply_queues,
        ),
        read=_names(re.escape(RPC_EXCHANGE), rf"{own}\.[a-z_]+", f"rpc-{own}", reply_queues),
        rpc_topic_write=_RPC_CALL_OR_REPLY,
        rpc_topic_read=rf"^({own}\.\*|{_UUID})$",
    )


def cli_permissions() -> Permissions:
    reply_queues = rf"rpc\.reply-standalone_rpc_client-{_UUID}"
    return Permissions(
        configure=_names(re.escape(RPC_EXCHANGE), reply_queues),
        write=_names(re.escape(RPC_EXCHANGE), reply_queues),
        read=_names(re.escape(RPC_EXCHANGE), reply_queues),
        rpc_topic_write=_RPC_CALL_OR_REPLY,
        rpc_topic_read=rf"^{_UUID}$",
    )


def user_name(county: str, role: str) -> str:
    """`sanbao-532501-registry`, `sanbao-532501-cli`: one user per service and the CLI."""
    return f"sanbao-{county}-{role}"


def users_and_permissions(county: str) -> dict[str, Permissions]:
    users = {user_name(county, service): service_permissions(service) for service in SERVICES}
    users[user_name(county, CLI_USER_ROLE)] = cli_permissions()
    return users
