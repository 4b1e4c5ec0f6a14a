"""The broker's own size limit, as the county deploys it: a RabbitMQ node of the test's own (the
shared broker is never reconfigured) whose configuration is deploy/rabbitmq/rabbitmq.conf, the
very file deploy/compose.yml mounts, appended to the node's ports. One node for the module.

A message over max_message_size is refused by the broker: nameko's client and `sanbao` get a
clear error at once (never a wait for the answer's timeout) and can go on; a request under it,
even one larger than the default method limit, reaches a method that declares room for it; a
reply over it reaches the caller as REPLY_TOO_LARGE, and the service keeps answering. And the
CLI refuses a roster file over registry's limit before anything is sent."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from amqp.exceptions import PreconditionFailed
from nameko import config as nameko_config
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ClusterRpcClient

from rabbit_node import CTL, RabbitNode
from registry_contract.rosters import MAX_ROSTER_BYTES
from sanbao_cli.client import CliError, StackClient
from sanbao_common.rpc import BROKER_MAX_MESSAGE_BYTES, ServiceRpc
from testkit import ROOT, free_port

pytestmark = pytest.mark.e2e

MIB = 1024 * 1024
DEPLOYED_CONF = ROOT / "deploy/rabbitmq/rabbitmq.conf"
SANBAO = str(Path(sys.executable).parent / "sanbao")


class DeployedNode(RabbitNode):
    """A private node configured with the county broker's own settings."""

    def __init__(self, workdir: Path):
        super().__init__(workdir)
        conf = workdir / "rabbitmq.conf"
        conf.write_text(conf.read_text() + DEPLOYED_CONF.read_text())

    def setting(self, name: str) -> str:
        result = subprocess.run(
            [CTL, "-n", self.name, "eval", f"application:get_env(rabbit, {name})."],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        return result.stdout.strip()


class Echo:
    """A service on the kit's RPC entrypoint (no token check: the broker is what is tested)."""

    name = "echo"

    @ServiceRpc.decorator(max_request_bytes=BROKER_MAX_MESSAGE_BYTES)
    def length(self, text: str) -> int:
        return len(text)

    @ServiceRpc.decorator()
    def text_of(self, size: int) -> str:
        return "x" * size


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    assert RabbitNode.available(), "this test needs rabbitmq-server installed on this machine"
    node = DeployedNode(tmp_path_factory.mktemp("broker-limits") / "rabbit")
    node.start()
    yield node
    node.stop()


@pytest.fixture
def echo(node, container_factory):
    uri = node.amqp_uri("%2F")
    with nameko_config.patch({"AMQP_URI": uri}):
        container = container_factory(Echo)
        container.start()
        yield uri


def test_the_node_runs_with_the_deployed_max_message_size(node):
    assert node.setting("max_message_size") == f"{{ok,{BROKER_MAX_MESSAGE_BYTES}}}"


def test_a_request_over_the_limit_is_refused_by_the_broker_and_one_under_it_passes(echo):
    with ClusterRpcClient(uri=echo, timeout=30) as client:
        with pytest.raises(PreconditionFailed, match="larger than configured max size 16777216"):
            client.echo.length("x" * (BROKER_MAX_MESSAGE_BYTES + 1))
        # Larger than a method's default limit, within the broker's and this method's.
        assert client.echo.length("x" * (15 * MIB)) == 15 * MIB
        assert client.echo.length("short") == 5


def test_sanbao_says_the_broker_refused_a_request_for_its_size_and_goes_on(echo):
    with StackClient("532501", echo, timeout=30) as stack:
        with pytest.raises(CliError) as refused:
            stack.call("echo", "length", "x" * (17 * MIB))
        assert refused.value.code == "REQUEST_TOO_LARGE"
        assert "more than the 16.0 MiB it carries" in refused.value.message
        assert stack.call("echo", "length", "again") == 5


def test_a_reply_over_the_limit_reaches_the_caller_as_reply_too_large(echo):
    with ClusterRpcClient(uri=echo, timeout=30) as client:
        with pytest.raises(RemoteError) as refused:
            client.echo.text_of(17 * MIB)
        assert refused.value.value.startswith("[REPLY_TOO_LARGE] ")
        assert "larger than configured max size" in refused.value.value
        # The request was answered and acknowledged, not redelivered to kill the service.
        assert client.echo.text_of(3) == "xxx"
        assert client.echo.length("still here") == 10


def test_sanbao_refuses_a_roster_over_the_limit_before_sending_anything(tmp_path):
    roster = tmp_path / "whole-county.csv"
    roster.write_bytes(b"x" * (MAX_ROSTER_BYTES + 1))
    unreachable = f"amqp://guest:guest@127.0.0.1:{free_port()}/x"  # reaching it would fail
    result = subprocess.run(
        [SANBAO, "--amqp-uri", unreachable, "roster", "import", str(roster)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.startswith("error [ROSTER_TOO_LARGE] "), result.stderr
    assert f"up to {MAX_ROSTER_BYTES // MIB} MiB" in result.stderr
    assert "nothing was sent" in result.stderr
    assert "Traceback" not in result.stderr
