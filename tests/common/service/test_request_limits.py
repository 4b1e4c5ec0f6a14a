"""Request size limits, from the attacker's side: anyone who may publish on the county's broker
sends raw bodies to the RPC exchange, with or without a token, and reads the answers off a queue
of their own. The fund runs for real (on SQLite and on PostgreSQL) with three methods added for
the test: one that declares 1 MiB, one that declares 6 MiB, and every other at the default.

A body over its method's limit is answered REQUEST_TOO_LARGE before it is decoded (a body that is
not even JSON gets that answer, not a decode error; kombu's decoder is watched and never sees it),
before the token is looked at, and is acknowledged (nothing is left in the queue once the service
stops); a body of exactly the limit goes on to the usual checks; the service keeps answering."""

from __future__ import annotations

import json
import re
import uuid
import zlib

import kombu
import kombu.message
import pytest
from nameko.standalone.rpc import ClusterRpcClient

from fund.service import FundService
from sanbao_common.rpc import BROKER_MAX_MESSAGE_BYTES, DEFAULT_MAX_REQUEST_BYTES, rpc, size_of
from testkit import ROOT, eventually

MIB = 1024 * 1024
SMALL, LARGE = 1 * MIB, 6 * MIB
TWENTY_MIB_OF_NOT_JSON = b"\xff\x00<not json>" * (20 * MIB // 12)
FRAME = b'{"args": [""], "kwargs": {}}'  # a request with one text argument, empty


class LimitedFund(FundService):
    """The fund, with methods that declare their own limits (and echo what they were sent)."""

    @rpc(permission="health.read", max_request_bytes=SMALL)
    def small_limit(self, text: str) -> int:
        return len(text)

    @rpc(permission="fund.record", max_request_bytes=LARGE)
    def large_limit(self, text: str) -> int:
        return len(text)


class Attacker:
    """A broker user publishing raw bodies to the RPC exchange, as nameko's client would but
    without it: any bytes, any headers, a token or none."""

    def __init__(self, uri: str):
        self.connection = kombu.Connection(uri)
        self.channel = self.connection.channel()
        self.exchange = kombu.Exchange("nameko-rpc", type="topic", durable=True)
        self.reply_key = f"attacker-{uuid.uuid4().hex}"
        self.queue = kombu.Queue(self.reply_key, self.exchange, routing_key=self.reply_key)
        self.queue(self.channel).declare()
        self.answers: dict[str, dict] = {}

    def close(self) -> None:
        self.connection.release()

    def call(self, target: str, body: bytes, *, token=None, content_type="application/json",
             headers=None) -> dict:  # fmt: skip
        """Publish `body` to `<service>.<method>`; the answer ({"result", "error"})."""
        correlation_id = uuid.uuid4().hex
        sent = dict(headers or {})
        if token is not None:
            sent["nameko.token"] = token
        kombu.Producer(self.channel).publish(
            body,
            exchange=self.exchange,
            routing_key=target,
            reply_to=self.reply_key,
            correlation_id=correlation_id,
            content_type=content_type,
            content_encoding="utf-8",
            headers=sent,
        )
        return eventually(lambda: self._answer(correlation_id), within=30)

    def _answer(self, correlation_id: str) -> dict | None:
        bound = self.queue(self.channel)
        while (message := bound.get(no_ack=True)) is not None:
            self.answers[message.properties["correlation_id"]] = json.loads(message.body)
        return self.answers.pop(correlation_id, None)


def outcome(answer: dict):
    """The result, or the code the call was refused with."""
    error = answer["error"]
    if error is None:
        return answer["result"]
    match = re.match(r"^\[([A-Z_]+)\]", error["value"])
    return match[1] if match else error["exc_type"]


def single_text(size: int) -> bytes:
    """A well-formed request of exactly `size` bytes: one text argument, padded to fit."""
    body = FRAME.replace(b'""', b'"' + b"x" * (size - len(FRAME)) + b'"')
    assert len(body) == size
    return body


@pytest.fixture
def fund(container_factory, stack_config):
    container = container_factory(LimitedFund)
    container.start()
    return container


@pytest.fixture
def attacker(rabbit_config, stack_config):
    attacker = Attacker(stack_config["AMQP_URI"])
    yield attacker
    attacker.close()


@pytest.fixture
def decoded(monkeypatch):
    """The size of every body kombu decodes in this process, and every decompression."""
    seen = {"decoded": [], "decompressed": 0}
    decode = kombu.message.Message._decode

    def watched_decode(message):
        seen["decoded"].append(size_of(message.body))
        return decode(message)

    def watched_decompress(body, content_type):
        seen["decompressed"] += 1
        raise AssertionError("a request was decompressed")

    monkeypatch.setattr(kombu.message.Message, "_decode", watched_decode)
    monkeypatch.setattr(kombu.message, "decompress", watched_decompress)
    return seen


def answers_health(stack_config, token_keys) -> bool:
    context = {"token": token_keys.mint(["county_admin"])}
    with ClusterRpcClient(context_data=context, timeout=10, uri=stack_config["AMQP_URI"]) as c:
        return c.fund.health()["status"] == "ok"


def left_in_queue(stack_config) -> int:
    """Requests still in the fund's RPC queue (an unacknowledged one returns there when the
    consumer goes)."""
    with kombu.Connection(stack_config["AMQP_URI"]) as connection:
        queue = kombu.Queue("rpc-fund", kombu.Exchange("nameko-rpc", type="topic", durable=True))
        return queue(connection.default_channel).queue_declare(passive=True).message_count


def test_twenty_mib_of_garbage_is_refused_unread_before_any_token_is_looked_at(
    fund, attacker, decoded, stack_config, token_keys
):
    for target, limit in (
        ("fund.small_limit", "1.0 MiB"),
        ("fund.get_joint_account", "4.0 MiB"),
        ("fund.no_such_method", "4.0 MiB"),
    ):
        for token in (None, "not-a-token", token_keys.mint(["county_admin"])):
            answer = attacker.call(target, TWENTY_MIB_OF_NOT_JSON, token=token)
            assert outcome(answer) == "REQUEST_TOO_LARGE", (target, answer["error"])
            assert answer["error"]["exc_type"] == "RequestTooLarge"
            assert f"accepts at most {limit}" in answer["error"]["value"]
            assert f"size_bytes={len(TWENTY_MIB_OF_NOT_JSON)}" in answer["error"]["value"]
    assert all(size < SMALL for size in decoded["decoded"]), decoded["decoded"]
    assert answers_health(stack_config, token_keys)
    fund.stop()
    assert left_in_queue(stack_config) == 0  # acknowledged, not waiting to come back


def test_a_body_of_exactly_the_limit_goes_on_to_the_usual_checks(
    fund, attacker, decoded, token_keys
):
    token = token_keys.mint(["county_admin"])
    small_limit = single_text(SMALL)
    assert outcome(attacker.call("fund.small_limit", small_limit)) == "UNAUTHENTICATED"
    assert outcome(attacker.call("fund.small_limit", small_limit, token="forged")) == (
        "TOKEN_INVALID"
    )
    assert outcome(attacker.call("fund.small_limit", small_limit, token=token)) == SMALL - len(
        FRAME
    )
    over = single_text(SMALL + 1)
    assert outcome(attacker.call("fund.small_limit", over, token=token)) == "REQUEST_TOO_LARGE"
    # The default, on one of the fund's own methods.
    default = single_text(DEFAULT_MAX_REQUEST_BYTES)
    assert outcome(attacker.call("fund.get_joint_account", default)) == "UNAUTHENTICATED"
    refused = attacker.call("fund.get_joint_account", single_text(DEFAULT_MAX_REQUEST_BYTES + 1))
    assert outcome(refused) == "REQUEST_TOO_LARGE"
    assert max(decoded["decoded"]) == DEFAULT_MAX_REQUEST_BYTES  # only what was admitted


def test_a_method_may_declare_a_larger_limit_and_only_that_method_has_it(
    fund, attacker, token_keys
):
    token = token_keys.mint(["finance"])
    body = single_text(5 * MIB)
    assert outcome(attacker.call("fund.large_limit", body, token=token)) == 5 * MIB - len(FRAME)
    assert outcome(attacker.call("fund.small_limit", body, token=token)) == "REQUEST_TOO_LARGE"
    assert outcome(attacker.call("fund.health", body, token=token)) == "REQUEST_TOO_LARGE"


def test_over_the_default_only_a_caller_the_method_admits_has_the_body_decoded(
    fund, attacker, decoded, token_keys
):
    body = single_text(5 * MIB)  # within large_limit's 6 MiB, over the default 4 MiB
    for token, refusal in (
        (None, "UNAUTHENTICATED"),
        ("forged", "TOKEN_INVALID"),
        (token_keys.mint(["finance"], ttl_seconds=-1), "TOKEN_EXPIRED"),
        (token_keys.mint(["county_admin"]), "FORBIDDEN"),  # fund.record is finance's
    ):
        assert outcome(attacker.call("fund.large_limit", body, token=token)) == refusal
    assert all(size < DEFAULT_MAX_REQUEST_BYTES for size in decoded["decoded"])
    # Under the default, the worker checks the token after decoding, as for any call.
    assert outcome(attacker.call("fund.large_limit", single_text(MIB))) == "UNAUTHENTICATED"
    assert max(decoded["decoded"]) == MIB


def test_compressed_or_unreadable_requests_are_refused_without_being_expanded(
    fund, attacker, decoded, stack_config, token_keys
):
    token = token_keys.mint(["finance"])
    bomb = zlib.compress(single_text(8 * MIB))  # some 8 KiB that would expand to 8 MiB
    answer = attacker.call(
        "fund.large_limit", bomb, token=token, headers={"compression": "application/x-gzip"}
    )
    assert outcome(answer) == "INVALID_INPUT"
    assert "compressed requests are not accepted" in answer["error"]["value"]
    assert decoded["decompressed"] == 0
    for body, content_type in (
        (b"\xff\xfe{not json", "application/json"),
        (b'["args", "kwargs"]', "application/json"),
        (b'{"args": [], "kwargs": {}}', "application/data"),  # kombu would pass it on raw
        (b"\x80\x04\x95", "application/x-python-serialize"),
    ):
        answer = attacker.call("fund.health", body, token=token, content_type=content_type)
        assert outcome(answer) == "INVALID_INPUT", (body, answer["error"])
    assert answers_health(stack_config, token_keys)


def test_no_method_may_declare_more_than_the_broker_carries():
    with pytest.raises(ValueError, match="max_request_bytes"):
        rpc(permission="health.read", max_request_bytes=BROKER_MAX_MESSAGE_BYTES + 1)
    for wrong in (0, -1, True, "1048576", 1.5):
        with pytest.raises(ValueError):
            rpc(permission="health.read", max_request_bytes=wrong)
    assert LimitedFund.small_limit.sanbao_max_request_bytes == SMALL
    assert FundService.settle_advance.sanbao_max_request_bytes == DEFAULT_MAX_REQUEST_BYTES


def test_the_kits_ceiling_is_the_max_message_size_the_county_broker_is_deployed_with():
    conf = (ROOT / "deploy/rabbitmq/rabbitmq.conf").read_text()
    deployed = re.search(r"^max_message_size\s*=\s*(\d+)\s*$", conf, flags=re.M)
    assert deployed and int(deployed[1]) == BROKER_MAX_MESSAGE_BYTES
    assert DEFAULT_MAX_REQUEST_BYTES < BROKER_MAX_MESSAGE_BYTES
