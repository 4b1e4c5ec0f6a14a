"""The CLI's shared pieces without a stack: key files (`sanbao_cli.keys`), how a
state-changing call reports a timeout, and the request it keeps to send again on a retry
(`sanbao_cli.session.call_command`, `sanbao_cli.sent`)."""

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


class Answers(Stack):
    """Answers each call with the next of `outcomes` (a CliError is raised)."""

    def __init__(self, *outcomes):
        super().__init__()
        self.outcomes = list(outcomes)

    def call(self, service, method, *args, **kwargs):
        self.calls.append((service, method, args, kwargs))
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, CliError):
            raise outcome
        return outcome


def propose(session, expires_at: str, amount: str = "3600.00", key: str = "propose-key-1"):
    """As `fund propose` calls it: the expiry computed, the intent what was asked."""
    lines = [{"payee": "红河客运站", "amount": amount, "purpose": "包车", "reference": "b-1"}]
    proposal = {"kind": "advance", "lines": lines, "expires_at": expires_at}
    intent = {"kind": "advance", "lines": lines, "expires_in_seconds": 1800}
    return call_command(session, "fund", "propose_outflow", "acc-1", proposal, key=key,
                        intent=intent)  # fmt: skip


def sent_expiry(call) -> str:
    return call[2][1]["expires_at"]


@pytest.fixture
def county_session(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    return lambda stack: SimpleNamespace(county="532501", stack=stack)


def test_a_retry_sends_the_request_kept_under_its_key(county_session):
    stack = Answers(CliError("TIMEOUT", "no answer"), {"proposal_id": "p-1"})
    session = county_session(stack)
    with pytest.raises(CliError):
        propose(session, "2026-03-01T10:30:00+00:00")
    assert propose(session, "2026-03-01T10:30:07+00:00") == {"proposal_id": "p-1"}
    first, retry = stack.calls
    assert retry == first  # the expiry computed first, the same key


def test_a_refused_request_is_forgotten(county_session):
    stack = Answers(CliError("INSUFFICIENT_FUNDS", "not enough"), {"proposal_id": "p-1"})
    session = county_session(stack)
    with pytest.raises(CliError):
        propose(session, "2026-03-01T10:30:00+00:00")
    propose(session, "2026-03-01T10:31:00+00:00")
    assert [sent_expiry(c) for c in stack.calls] == [
        "2026-03-01T10:30:00+00:00",
        "2026-03-01T10:31:00+00:00",
    ]


def test_a_key_reused_for_another_intent_leaves_the_first_requests_alone(county_session):
    lost = CliError("TIMEOUT", "no answer")
    reused = CliError("IDEMPOTENCY_KEY_REUSED", "another request")
    stack = Answers(lost, reused, {"proposal_id": "p-1"})
    session = county_session(stack)
    for expires, amount in (("T1", "3600.00"), ("T2", "9999.00")):
        with pytest.raises(CliError):
            propose(session, expires, amount)
    propose(session, "T3")  # the first intent again: its own kept request
    assert [sent_expiry(c) for c in stack.calls] == ["T1", "T2", "T1"]


def test_kept_requests_are_the_users_own(county_session, tmp_path):
    session = county_session(Answers({"proposal_id": "p-1"}))
    propose(session, "T1")
    kept = list((tmp_path / "sanbao" / "532501" / "sent").iterdir())
    assert len(kept) == 1 and oct(kept[0].stat().st_mode & 0o777) == "0o600"
    assert oct(kept[0].parent.stat().st_mode & 0o777) == "0o700"
