"""`sanbao registrar` and `sanbao seal` without a stack: the registrar's key, and the exact
statements the commands sign and send (to a stand-in for the stack), checked with the same rule
the services apply (sanbao_common.seals); and `sanbao fund`, which no longer prepares, seals or
re-seals accounts (agreements do: `sanbao agreement`), showing an account's agreement and bank."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from sanbao_cli.params import pasteable
from sanbao_common.crypto import (
    fingerprint,
    load_private_key,
    new_signing_key,
    public_key_text,
    save_private_key,
    signature_valid,
    statement_bytes,
)
from sanbao_common.seals import (
    CONFIRMATION_FIELDS,
    REVOCATION_FIELDS,
    SealRecord,
    check_confirmation,
    check_revocation,
    parse_registrar_keys,
)
from testkit import TEST_COUNTY, free_port

SANBAO = str(Path(sys.executable).parent / "sanbao")
PASSPHRASE = "the registrar's passphrase"
ORG = "org-hr-company"
# registry's directory, which the CLI reads to show organisations by name.
ORGANISATIONS = [
    {"org_id": ORG, "name": "红河人力资源有限公司"},
    {"org_id": "org-county", "name": "个旧市劳务合作联社"},
]


def value(text: str, label: str) -> str:
    for line in text.splitlines():
        cells = [c.strip() for c in line.split("│")]
        if len(cells) > 2 and cells[1] == label:
            return cells[2]
    raise AssertionError(f"{label} not shown in:\n{text}")


class FakeStack:
    """Stands in for the county's stack: canned answers per method, every call recorded."""

    def __init__(self, answers: dict):
        self.answers = {("registry", "list_organisations"): ORGANISATIONS} | answers
        self.calls: list[tuple] = []

    def call(self, service, method, *args, **kwargs):
        self.calls.append((service, method, args, kwargs))
        answer = self.answers[(service, method)]
        return answer(*args) if callable(answer) else answer

    def sent(self, method: str) -> tuple:
        found = [args for _, m, args, _ in self.calls if m == method]
        assert len(found) == 1, self.calls
        return found[0]


@pytest.fixture
def run(monkeypatch, tmp_path):
    """Runs `sanbao ARGS` in-process against a FakeStack."""
    from sanbao_cli.client import StackClient
    from sanbao_cli.main import cli

    def invoke(stack: FakeStack, *args):
        monkeypatch.setattr(StackClient, "call", lambda self, *a, **k: stack.call(*a, **k))
        env = {
            "XDG_CONFIG_HOME": str(tmp_path / "config"),
            "SANBAO_KEY_PASSPHRASE": PASSPHRASE,
            "SANBAO_TOKEN": "",
            "COUNTY": TEST_COUNTY,
        }
        return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)

    return invoke


@pytest.fixture
def registrar_key(tmp_path):
    key = new_signing_key()
    path = tmp_path / "registrar.pem"
    save_private_key(key, path, PASSPHRASE)
    return key, str(path)


def seal_view(seal_key, status="pending", org_id=ORG) -> dict:
    return {
        "org_id": org_id,
        "fingerprint": fingerprint(seal_key),
        "public_key": public_key_text(seal_key),
        "status": status,
        "submitted_at": "2026-03-02T01:00:00+00:00",
        "submitted_by": "user:zhou.hr",
        "confirmation": None,
        "confirmation_signature": None,
        "revocation": None,
        "revocation_signature": None,
    }


def registry(seal_key, effective=None) -> FakeStack:
    pending = [seal_view(seal_key)]

    def list_seals(status=None, org_id=None):
        if status == "pending":
            return pending
        if status == "effective":
            return [seal_view(effective, "effective")] if effective else []
        return pending + ([seal_view(effective, "effective")] if effective else [])

    return FakeStack(
        {
            ("registry", "list_seals"): list_seals,
            ("registry", "get_organisation"): {
                "org_id": ORG,
                "kind": "hr_company",
                "name": "红河人力资源有限公司",
            },
            ("registry", "confirm_seal"): lambda c, s: dict(seal_view(seal_key, "effective")),
            ("registry", "revoke_seal"): lambda c, s: dict(seal_view(seal_key, "revoked")),
        }
    )


def test_registrar_new_writes_a_0600_key_and_prints_a_key_to_pin(tmp_path):
    out = tmp_path / "registrar.pem"
    env = dict(os.environ, SANBAO_KEY_PASSPHRASE=PASSPHRASE, XDG_CONFIG_HOME=str(tmp_path))
    unreachable = f"amqp://guest:guest@127.0.0.1:{free_port()}/x"
    command = [SANBAO, "--amqp-uri", unreachable, "registrar", "new", "--out", str(out)]
    made = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)
    assert made.returncode == 0, made.stderr  # no stack needed: nothing is sent
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    key = load_private_key(out, PASSPHRASE)  # passphrase-protected
    with pytest.raises((ValueError, TypeError)):
        load_private_key(out, None)
    public, shown = value(made.stdout, "public key"), value(made.stdout, "fingerprint")
    # Shown so that it pastes into a command without quotes: the paper's groups, with dashes.
    assert public == public_key_text(key) and shown == pasteable(fingerprint(key))
    assert " " not in shown and shown.replace("-", " ") == fingerprint(key)
    # What is printed is what SEAL_REGISTRAR_KEYS takes.
    assert list(parse_registrar_keys(public)) == [fingerprint(key)]
    assert "SEAL_REGISTRAR_KEYS" in made.stdout
    again = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)
    assert again.returncode == 1 and again.stderr.startswith("error [KEY_FILE_EXISTS] ")
    assert load_private_key(out, PASSPHRASE).private_bytes_raw() == key.private_bytes_raw()


def test_seal_confirm_signs_exactly_the_confirmation_the_services_accept(run, registrar_key):
    key, path = registrar_key
    seal_key = new_signing_key()
    stack = registry(seal_key)
    typed = fingerprint(seal_key).replace(" ", "").upper()  # as someone might type it
    result = run(stack, "seal", "confirm", "--registrar-key", path, "--fingerprint", typed,
                 "--filing-ref", "个旧财金备〔2026〕7号")  # fmt: skip
    assert result.exit_code == 0, result.output
    confirmation, signature = stack.sent("confirm_seal")
    assert tuple(sorted(confirmation)) == tuple(sorted(CONFIRMATION_FIELDS))
    assert confirmation == confirmation | {
        "purpose": "confirm_seal",
        "county": TEST_COUNTY,
        "organisation_id": ORG,
        "organisation_kind": "hr_company",
        "fingerprint": fingerprint(seal_key),
        "public_key": public_key_text(seal_key),
        "filing_ref": "个旧财金备〔2026〕7号",
        "replaces": None,
        "registrar": fingerprint(key),
    }
    assert signature_valid(key.public_key(), statement_bytes(confirmation), signature)
    # The very check registry and the fund make, against the pinned key.
    record = SealRecord(ORG, "hr_company", fingerprint(seal_key), public_key_text(seal_key),
                        confirmation, signature)  # fmt: skip
    check_confirmation(record, TEST_COUNTY, parse_registrar_keys(public_key_text(key)))
    # The registrar sees the fingerprint to compare with the paper before it is sent.
    assert pasteable(fingerprint(seal_key)) in result.stdout


def test_seal_confirm_of_a_replacement_names_the_seal_in_effect(run, registrar_key):
    key, path = registrar_key
    old, new = new_signing_key(), new_signing_key()
    stack = registry(new, effective=old)
    args = ("seal", "confirm", "--registrar-key", path, "--fingerprint", fingerprint(new),
            "--filing-ref", "个旧财金备〔2026〕9号")  # fmt: skip
    refused = run(stack, *args)
    assert refused.exit_code == 1
    assert "SEAL_REPLACES_REQUIRED" in refused.stderr
    assert f"--replaces {pasteable(fingerprint(old))}" in refused.stderr  # pasteable as it is
    assert not [c for c in stack.calls if c[1] == "confirm_seal"]
    confirmed = run(stack, *args, "--replaces", fingerprint(old).replace(" ", ""))
    assert confirmed.exit_code == 0, confirmed.output
    confirmation, _ = stack.sent("confirm_seal")
    assert confirmation["replaces"] == fingerprint(old)


def test_seal_confirm_of_nothing_pending_sends_nothing(run, registrar_key):
    _, path = registrar_key
    stack = registry(new_signing_key())
    result = run(stack, "seal", "confirm", "--registrar-key", path, "--fingerprint",
                 fingerprint(new_signing_key()), "--filing-ref", "x")  # fmt: skip
    assert result.exit_code == 1 and "SEAL_NOT_PENDING" in result.stderr
    assert [c[1] for c in stack.calls] == ["list_seals"]


def test_seal_revoke_seal_signs_a_revocation_the_services_accept(run, registrar_key):
    key, path = registrar_key
    seal_key = new_signing_key()
    stack = registry(seal_key)
    result = run(stack, "seal", "revoke-seal", "--registrar-key", path, "--org", ORG,
                 "--fingerprint", fingerprint(seal_key), "--filing-ref", "个旧财金备〔2026〕8号",
                 "--reason", "印鉴遗失")  # fmt: skip
    assert result.exit_code == 0, result.output
    statement, signature = stack.sent("revoke_seal")
    assert tuple(sorted(statement)) == tuple(sorted(REVOCATION_FIELDS))
    assert statement["fingerprint"] == fingerprint(seal_key) and statement["reason"] == "印鉴遗失"
    check_revocation(statement, signature, TEST_COUNTY, parse_registrar_keys(public_key_text(key)))


def test_seal_audit_says_when_there_is_nothing_to_redo(run):
    result = run(FakeStack({("registry", "audit_seals"): []}), "seal", "audit")
    assert result.exit_code == 0 and "nothing to redo" in result.stdout
    finding = {"kind": "seal", "org_id": ORG, "fingerprint": "ab12", "status": "pending",
               "problem": "not confirmed by a seal registrar"}  # fmt: skip
    listed = run(FakeStack({("registry", "audit_seals"): [finding]}), "seal", "audit")
    assert listed.exit_code == 0 and "not confirmed by a seal registrar" in listed.stdout


def test_seal_pending_is_the_registrars_queue(run):
    seal_key = new_signing_key()
    stack = registry(seal_key)
    result = run(stack, "seal", "pending")
    assert result.exit_code == 0, result.output
    assert pasteable(fingerprint(seal_key)) in result.stdout and "user:zhou.hr" in result.stdout
    assert stack.calls[0][1:3] == ("list_seals", ("pending", None))


def account_view(**changes) -> dict:
    view = {
        "account_id": "acc-1",
        "agreement_id": "acc-1",
        "agreement_version": 2,
        "agreement_ref": "个旧人社劳务〔2026〕7号",
        "status": "open",
        "county_cooperative": "org-county",
        "hr_company": ORG,
        "term_start": "2026-01-01",
        "term_end": "2028-12-31",
        "bank_name": "中国工商银行个旧支行",
        "bank_account": "2505030109024567891",
        "frozen_for": [ORG],
        "principal_fen": 100,
        "available_fen": {"cash_principal": 0, "cash_income": 0},
        "balances_fen": {},
        "pending_outflows": [],
    }
    return view | changes


def test_fund_show_names_the_agreement_its_version_the_bank_and_who_froze_it(run):
    stack = FakeStack({("fund", "get_joint_account"): account_view()})
    result = run(stack, "fund", "show", "acc-1")
    assert result.exit_code == 0, result.output
    assert value(result.stdout, "agreement") == "acc-1, version 2"
    assert value(result.stdout, "bank") == "中国工商银行个旧支行 2505030109024567891"
    # Organisations are named, not shown by their ids.
    assert value(result.stdout, "frozen for (seal changed)") == "红河人力资源有限公司"


@pytest.mark.parametrize("retired", ["prepare", "seal", "reseal"])
def test_the_fund_no_longer_prepares_seals_or_reseals_accounts(run, tmp_path, retired):
    seal_file = tmp_path / "seal.pem"
    save_private_key(new_signing_key(), seal_file, PASSPHRASE)
    stack = FakeStack({})
    result = run(stack, "fund", retired, "acc-1", "--org", ORG, "--seal", str(seal_file))
    assert result.exit_code == 2 and "No such command" in result.output
    assert stack.calls == []
