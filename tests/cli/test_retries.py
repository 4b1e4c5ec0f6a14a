"""A command retried under its idempotency key sends what it sent the first time, even the parts
it computes (a proposal's expiry, the time a seal signs): the real services accept the honest
retry and do nothing twice. Without the kept request, the recomputed retry is refused, which is
why it is kept."""

import time
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from cli_support import PASSPHRASE, LosesAnswers, SignedOut, Workers, key
from fund_support import HR_ORG, Fund
from sanbao_cli.params import pasteable
from sanbao_common.crypto import (
    fingerprint,
    new_signing_key,
    public_key_text,
    save_private_key,
    sign,
    statement_bytes,
)
from sanbao_common.db import create_database_engine
from testkit import TEST_COUNTY

ADVANCE = f"{HR_ORG}:3600.00:包车:batch-001"


def finance_desk(fund) -> Workers:
    """li.fin of the county cooperative at the CLI; registry answers who the payees are."""
    directory = [{"org_id": HR_ORG, "name": "红河人力服务有限公司", "active": True}]
    return Workers(
        fund=fund.as_(["finance"], user="li.fin"),
        registry=SimpleNamespace(list_organisations=lambda kind=None, under=None: directory),
    )


@pytest.fixture
def fund(databases):
    engine = create_database_engine(databases["fund"])
    fund = Fund(engine)
    fund.register_payees()
    yield fund
    engine.dispose()


@pytest.fixture
def open_account(fund):
    """An open joint account holding 100,000.00 of principal; li.fin of the county proposes."""
    account = fund.open_account("100000.00")
    inflow = {"kind": "principal_deposit", "amount": "100000.00", "bank_ref": "ICBC-20260105-001",
              "reference": None}  # fmt: skip
    fund.as_(["finance"], user="li.fin").record_inflow(account, inflow, key())
    return account


def pending(fund, account) -> list:
    return fund.as_(["county_admin"], user="admin").get_joint_account(account)["pending_outflows"]


@pytest.mark.parametrize("first", ["answer lost", "output lost"])
def test_a_retried_proposal_is_the_same_proposal(fund, open_account, cli, first):
    """The first attempt reached the fund; its answer (or the terminal showing it) did not. The
    retry, seconds later, carries the same expiry and is answered with the same proposal."""
    stack = finance_desk(fund)
    args = ("fund", "propose", open_account, "--kind", "advance", "--line", ADVANCE,
            "--expires-in", "30m", "--idempotency-key", "propose-batch-001")  # fmt: skip
    before = datetime.now(UTC)
    attempt = cli(LosesAnswers(stack) if first == "answer lost" else stack, *args)
    if first == "answer lost":
        assert attempt.exit_code == 1
        assert "[TIMEOUT]" in attempt.stderr
        assert "repeat it with --idempotency-key propose-batch-001" in attempt.stderr
    time.sleep(0.05)  # a recomputed expiry would differ

    retried = cli(stack, *args, "--json")
    assert retried.exit_code == 0, retried.output
    (proposal,) = pending(fund, open_account)  # one proposal, one reservation
    import json

    assert json.loads(retried.stdout)["proposal_id"] == proposal["proposal_id"]
    expires = datetime.fromisoformat(proposal["expires_at"])
    assert before + timedelta(minutes=30) <= expires <= before + timedelta(minutes=30, seconds=5)
    available = fund.as_(["county_admin"]).get_joint_account(open_account)["available_fen"]
    assert available["cash_principal"] == 10_000_000 - 360_000  # reserved once, not twice


def test_a_retry_refused_for_an_expired_sign_in_still_resends_the_first_request(
    fund, open_account, cli
):
    """Answer lost, then the sign-in expires before the retry: signing in again and retrying
    sends the first request still (a sign-in refusal says nothing about the request)."""
    stack = finance_desk(fund)
    args = ("fund", "propose", open_account, "--kind", "advance", "--line", ADVANCE,
            "--expires-in", "30m", "--idempotency-key", "propose-batch-004")  # fmt: skip
    assert cli(LosesAnswers(stack), *args).exit_code == 1
    expired = cli(SignedOut(), *args)
    assert expired.exit_code == 1 and "[TOKEN_EXPIRED]" in expired.stderr
    time.sleep(0.05)  # a recomputed expiry would differ
    retried = cli(stack, *args)
    assert retried.exit_code == 0, retried.output
    assert len(pending(fund, open_account)) == 1


def test_without_the_kept_request_the_recomputed_retry_is_refused(fund, open_account, cli):
    """What the kept request prevents: on another machine (nothing kept), the retry computes a
    new expiry, and the fund refuses a different request under a used key."""
    stack = finance_desk(fund)
    args = ("fund", "propose", open_account, "--kind", "advance", "--line", ADVANCE,
            "--idempotency-key", "propose-batch-002")  # fmt: skip
    assert cli(LosesAnswers(stack), *args).exit_code == 1
    elsewhere = cli(stack, *args, home="another-machine")
    assert elsewhere.exit_code == 1
    assert "[IDEMPOTENCY_KEY_REUSED]" in elsewhere.stderr
    assert len(pending(fund, open_account)) == 1


def test_a_refused_request_is_not_kept_and_can_be_corrected(fund, open_account, cli):
    """The fund stores nothing for a refusal: the same key, corrected, goes through."""
    stack = finance_desk(fund)
    key_args = ("--idempotency-key", "propose-batch-003")
    too_much = cli(stack, "fund", "propose", open_account, "--kind", "advance", "--line",
                   f"{HR_ORG}:200000.00:包车:batch-001", *key_args)  # fmt: skip
    assert too_much.exit_code == 1 and "[INSUFFICIENT_FUNDS]" in too_much.stderr
    corrected = cli(stack, "fund", "propose", open_account, "--kind", "advance", "--line",
                    ADVANCE, *key_args)  # fmt: skip
    assert corrected.exit_code == 0, corrected.output
    assert len(pending(fund, open_account)) == 1


@pytest.mark.parametrize(
    ("written", "meaning"),
    [("30m", timedelta(minutes=30)), ("2h", timedelta(hours=2)), ("1d", timedelta(days=1))],
)
def test_an_expiry_in_minutes_hours_or_days(fund, open_account, cli, written, meaning):
    stack = finance_desk(fund)
    before = datetime.now(UTC)
    result = cli(stack, "fund", "propose", open_account, "--kind", "advance", "--line", ADVANCE,
                 "--expires-in", written)  # fmt: skip
    assert result.exit_code == 0, result.output
    (proposal,) = pending(fund, open_account)
    assert before + meaning <= datetime.fromisoformat(proposal["expires_at"])
    assert datetime.fromisoformat(proposal["expires_at"]) <= datetime.now(UTC) + meaning


@pytest.mark.parametrize("written", ["30", "30s", "2 weeks", "0m", "31d", "-1h", "1.5h"])
def test_a_bad_expiry_is_refused_before_anything_is_sent(cli, written):
    stack = Workers()
    result = cli(stack, "fund", "propose", "acc-1", "--kind", "advance", "--line", ADVANCE,
                 "--expires-in", written)  # fmt: skip
    assert result.exit_code == 2
    assert "--expires-in" in result.stderr and "30m, 2h, 1d" in result.stderr
    assert "如 30m、2h、1d" in result.stderr  # in Chinese too
    assert stack.calls == []


@pytest.fixture
def hr_seal(registry_as, hr_company, token_keys, tmp_path):
    """The HR company's seal, submitted by one of its people and confirmed by the registrar;
    its key kept in a file, as `sanbao seal new` keeps it."""
    seal = new_signing_key()
    statement = {"purpose": "seal", "organisation_id": hr_company["org_id"],
                 "county": TEST_COUNTY, "public_key": public_key_text(seal)}  # fmt: skip
    member = registry_as(["finance"], hr_company, username="hr.fin")
    member.register_seal(
        hr_company["org_id"], statement, sign(seal, statement_bytes(statement)), key()
    )
    confirmation, signature = token_keys.registrar.confirmation(
        hr_company["org_id"], "hr_company", seal
    )
    bureau = {"org_id": "org-finance-bureau", "kind": "finance_bureau"}
    registry_as(["auditor"], bureau, username="cai.registrar").confirm_seal(
        confirmation, signature, key()
    )
    path = tmp_path / "hr-seal.pem"
    save_private_key(seal, path, PASSPHRASE)
    return str(path)


def test_a_retried_certification_is_the_same_certification(registry_as, hr_company, hr_seal, cli):
    """`seal certify` signs the time it certifies; its retry sends the signed statement it sent
    first, and registry answers it with the certificate it made."""
    admin = registry_as(["county_admin"])
    zhou = admin.create_user({"username": "zhou.sign", "display_name": "周敏", "roles":
                              ["hr_operator"], "org_id": hr_company["org_id"]}, key())  # fmt: skip
    personal = new_signing_key()
    stack = Workers(registry=registry_as(["finance"], hr_company, username="hr.fin"))
    args = ("seal", "certify", "--seal", hr_seal, "--org", hr_company["org_id"], "--user",
            zhou["user_id"], "--public-key", public_key_text(personal), "--limit", "100000",
            "--idempotency-key", "certify-zhou-1")  # fmt: skip
    lost = cli(LosesAnswers(stack), *args)
    assert lost.exit_code == 1 and "[TIMEOUT]" in lost.stderr
    time.sleep(0.05)  # a recomputed statement would carry another time
    retried = cli(stack, *args)
    assert retried.exit_code == 0, retried.output
    assert pasteable(fingerprint(personal)) in retried.stdout
    keys = admin.list_signing_keys(hr_company["org_id"])
    assert [(k["user_id"], k["fingerprint"]) for k in keys] == [
        (zhou["user_id"], fingerprint(personal))
    ]
    # The limit is shown in yuan, not as a bare number of fen.
    assert "100,000.00" in retried.stdout
    assert cli(stack, *args[:-2], "--idempotency-key", "certify-zhou-2").exit_code == 1
