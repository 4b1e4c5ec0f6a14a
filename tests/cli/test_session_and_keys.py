"""The CLI's shared pieces without a stack: key files (`sanbao_cli.keys`) and how a
state-changing call reports a timeout (`sanbao_cli.session.call_command`)."""

from types import SimpleNamespace

import pytest

from sanbao_cli.client import CliError
from sanbao_cli.keys import load_key, new_key_file
from sanbao_cli.session import call_command
from sanbao_common.crypto import fingerprint


def test_a_new_key_file_opens_with_its_passphrase_and_is_never_overwritten(tmp_path):
    path = str(tmp_path / "seal.pem")
    key = new_key_file(path, "correct horse battery")
    assert fingerprint(load_key(path, "correct horse battery")) == fingerprint(key)
    with pytest.raises(CliError) as refused:
        new_key_file(path, "another passphrase")
    assert refused.value.code == "KEY_FILE_EXISTS"
    assert fingerprint(load_key(path, "correct horse battery")) == fingerprint(key)


@pytest.mark.parametrize("case", ["wrong passphrase", "no such file"])
def test_a_key_that_cannot_be_opened_is_one_error_with_a_code(tmp_path, case):
    path = str(tmp_path / "seal.pem")
    if case == "wrong passphrase":
        new_key_file(path, "correct horse battery")
    with pytest.raises(CliError) as refused:
        load_key(path, "not the passphrase")
    assert refused.value.code == "KEY_UNREADABLE"
    assert path in refused.value.message


class Stack:
    def __init__(self, failure: CliError | None = None):
        self.failure = failure
        self.calls = []

    def call(self, service, method, *args, **kwargs):
        self.calls.append((service, method, args, kwargs))
        if self.failure:
            raise self.failure
        return {"ok": True}


def test_a_command_carries_its_idempotency_key():
    stack = Stack()
    reply = call_command(SimpleNamespace(stack=stack), "fund", "close", "a1", key="key-12345")
    assert reply == {"ok": True}
    assert stack.calls == [("fund", "close", ("a1",), {"idempotency_key": "key-12345"})]


@pytest.mark.parametrize("code", ["TIMEOUT", "BROKER_UNREACHABLE"])
def test_a_command_that_may_have_run_says_how_to_repeat_it_safely(code):
    session = SimpleNamespace(stack=Stack(CliError(code, "no answer")))
    with pytest.raises(CliError) as failed:
        call_command(session, "registry", "register_labourer", {}, key="key-12345")
    assert failed.value.code == code
    assert failed.value.message == (
        "no answer. It may or may not have run: repeat it with --idempotency-key key-12345 "
        "and it runs at most once"
    )


def test_a_command_refused_by_the_service_keeps_its_error():
    refusal = CliError("FORBIDDEN", "not in your area")
    session = SimpleNamespace(stack=Stack(refusal))
    with pytest.raises(CliError) as failed:
        call_command(session, "registry", "register_labourer", {}, key="key-12345")
    assert failed.value is refusal
