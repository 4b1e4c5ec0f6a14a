"""Who may publish where on a county's vhost. Each service's broker user writes only to its own
events, retry and dead-letter exchanges and the RPC exchange; the CLI's user only makes RPC calls;
nobody but the admin reaches the default exchange (straight into a queue) or anyone else's
exchange. So a process holding the CLI's credentials cannot forge `labourer_registered`."""

import uuid

import amqp
import pytest
import requests
from nameko import config as nameko_config

from sanbao_common.messaging.admin import (
    ManagementApi,
    connect,
    provision_users,
    vhost_of,
    with_credentials,
)
from sanbao_common.messaging.topology import (
    CLI_USER_ROLE,
    RPC_EXCHANGE,
    SERVICES,
    county_topology,
    dead_exchange,
    events_exchange,
    retry_exchange,
    user_name,
)

API_URI = "http://guest:guest@127.0.0.1:15672"
ROLES = (*SERVICES, CLI_USER_ROLE)


@pytest.fixture
def users(topology):
    """The county's users on this test's vhost (user names are broker-wide: a unique county)."""
    amqp_uri = nameko_config["AMQP_URI"]
    county = f"t{uuid.uuid4().hex[:8]}"
    api = ManagementApi(API_URI)
    passwords = provision_users(api, vhost_of(amqp_uri), county)
    yield {
        role: with_credentials(
            amqp_uri, user_name(county, role), passwords[user_name(county, role)]
        )
        for role in ROLES
    }
    for user in passwords:
        requests.delete(f"{API_URI}/api/users/{user}", auth=("guest", "guest"), timeout=10)


def attempt_publish(amqp_uri: str, exchange: str, routing_key: str) -> str:
    """'ok' if the broker took the message, else the refusal's name."""
    connection = connect(amqp_uri)
    try:
        channel = connection.channel()
        channel.confirm_select()
        channel.basic_publish_confirm(
            amqp.Message(b'{"forged": true}', delivery_mode=2),
            exchange=exchange,
            routing_key=routing_key,
            confirm_timeout=10,
        )
        return "ok"
    except amqp.exceptions.AccessRefused:
        return "refused"
    finally:
        try:
            connection.close()
        except Exception:  # the broker may have closed it after the refusal
            pass


def every_exchange() -> list[str]:
    return [exchange.name for exchange in county_topology().exchanges]


def routing_key_for(exchange: str) -> str:
    # On the RPC exchange only call (`service.method`) and reply (UUID) keys may be published.
    return "registry.count_labourers" if exchange == RPC_EXCHANGE else "labourer_registered"


def allowed_exchanges(role: str) -> set[str]:
    if role == CLI_USER_ROLE:
        return {RPC_EXCHANGE}
    return {RPC_EXCHANGE, events_exchange(role), retry_exchange(role), dead_exchange(role)}


@pytest.mark.parametrize("role", ROLES)
def test_each_user_writes_only_where_it_may(users, role):
    outcomes = {
        exchange: attempt_publish(users[role], exchange, routing_key_for(exchange))
        for exchange in every_exchange()
    }
    assert {e for e, outcome in outcomes.items() if outcome == "ok"} == allowed_exchanges(role)
    assert all(
        outcome == "refused" for e, outcome in outcomes.items() if e not in allowed_exchanges(role)
    )


@pytest.mark.parametrize("role", ROLES)
def test_nobody_but_the_admin_publishes_straight_into_a_queue(users, role):
    queue = "dispatch.handle_labourer_registered"
    assert attempt_publish(users[role], "", queue) == "refused"
    assert attempt_publish(nameko_config["AMQP_URI"], "", queue) == "ok"  # the admin may


def test_the_cli_cannot_forge_an_event(users):
    assert (
        attempt_publish(users[CLI_USER_ROLE], "registry.events", "labourer_registered") == "refused"
    )
    # Nor through the RPC exchange with an event's routing key: only calls and replies pass there.
    assert attempt_publish(users[CLI_USER_ROLE], RPC_EXCHANGE, "labourer_registered") == "refused"


@pytest.mark.parametrize("role", ROLES)
def test_nobody_can_listen_in_on_another_services_calls(users, role):
    """Binding a queue of one's own to the RPC exchange with another service's routing key would
    copy its calls (and, later, the tokens in them)."""
    victim = "fund" if role != "fund" else "registry"
    connection = connect(users[role])
    try:
        channel = connection.channel()
        if role == CLI_USER_ROLE:
            queue = f"rpc.reply-standalone_rpc_client-{uuid.uuid4()}"
        else:
            queue = f"rpc.reply-{role}-{uuid.uuid4()}"
        channel.queue_declare(queue, auto_delete=True)
        with pytest.raises(amqp.exceptions.AccessRefused):
            channel.queue_bind(queue, RPC_EXCHANGE, f"{victim}.*")
    finally:
        try:
            connection.close()
        except Exception:
            pass


@pytest.mark.parametrize("role", [r for r in SERVICES if r != "dispatch"])
def test_no_service_reads_another_services_queue(users, role):
    connection = connect(users[role])
    try:
        with pytest.raises(amqp.exceptions.AccessRefused):
            connection.channel().basic_get("dispatch.handle_labourer_registered")
    finally:
        try:
            connection.close()
        except Exception:
            pass
