"""`sanbao agreement` against dispatch's real entrypoints (tests/cli_support.Workers): drafted
from options or a rules file, sealed by each party from its seal key file after the exact terms
are shown, a key that is not the named seal refused before anything is sent."""

import json
from types import SimpleNamespace

import click
import pytest

from cli_support import PASSPHRASE, Workers
from dispatch_support import COUNTY_ORG, HR_ORG, Dispatch, today
from sanbao_cli.commands.agreements import percent_bp, shares
from sanbao_cli.params import pasteable
from sanbao_common.crypto import new_signing_key, save_private_key
from sanbao_common.db import create_database_engine

ORGANISATIONS = [
    {"org_id": COUNTY_ORG, "name": "个旧市劳务合作联社"},
    {"org_id": HR_ORG, "name": "红河人力资源有限公司"},
]
DIRECTORY = SimpleNamespace(list_organisations=lambda kind, status: ORGANISATIONS)
RULES = [
    "--per-placement", "300.00", "--qualifying-days", "90", "--per-month", "50", "--max-months",
    "12", "--revenue-shares", "50/20/30", "--policy-split", "60/40", "--policy-shares",
    "40/20/40", "--employer-split", "30/70", "--employer-shares", "33.33/33.33/33.34",
]  # fmt: skip


@pytest.fixture
def dispatch(databases):
    engine = create_database_engine(databases["dispatch"])
    found = Dispatch(engine)
    found.confirm(found.county, found.hr)
    yield found
    engine.dispose()


def stack(dispatch, roles=("county_admin",), party=None) -> Workers:
    return Workers(dispatch=dispatch.as_(list(roles), party), registry=DIRECTORY)


def key_file(tmp_path, party) -> str:
    path = tmp_path / f"{party.org_id}.pem"
    save_private_key(party.seal, path, PASSPHRASE)
    return str(path)


def draft_args(reference="个旧人社劳务〔2026〕1号") -> list[str]:
    year = today().year
    return [
        "agreement", "draft", "--reference", reference, "--county-org", COUNTY_ORG,
        "--hr-org", HR_ORG, "--principal", "500,000.00", "--start", f"{year}-01-01",
        "--end", f"{year + 1}-12-31", "--bank-name", "中国农业银行个旧支行",
        "--bank-account", "6228480123456789012", "--json",
    ]  # fmt: skip


def test_an_agreement_drafted_and_sealed_by_both_parties_from_their_key_files(
    cli, dispatch, tmp_path
):
    drafted = cli(stack(dispatch), *draft_args(), *RULES)
    assert drafted.exit_code == 0, drafted.output
    view = json.loads(drafted.stdout)
    terms = view["versions"][0]["terms"]
    assert terms["principal_fen"] == 50_000_000
    assert terms["revenue"]["shares_bp"] == {"county": 5000, "township": 2000, "village": 3000}
    assert terms["subsidies"]["employer"] == {
        "cooperatives_bp": 3000,
        "hr_company_bp": 7000,
        "cooperative_shares_bp": {"county": 3333, "township": 3333, "village": 3334},
    }
    agreement_id = view["agreement_id"]
    county_seal = cli(
        stack(dispatch, ["coop_operator"], dispatch.county), "agreement", "seal", agreement_id,
        "--version", "1", "--org", COUNTY_ORG, "--seal", key_file(tmp_path, dispatch.county),
    )  # fmt: skip
    assert county_seal.exit_code == 0, county_seal.output
    # The signer reads the exact terms before signing them: the seals as they paste.
    assert "the terms you are signing (version 1)" in county_seal.stdout
    assert pasteable(dispatch.hr.seal_fingerprint) in county_seal.stdout
    assert "红河人力资源有限公司" in county_seal.stdout  # who is still to seal, by name
    assert "300.00 yuan after 90 days" in county_seal.stdout  # the rules as people read them
    assert "county 33.33% / township 33.33% / village 33.34%" in county_seal.stdout
    hr_seal = cli(
        stack(dispatch, ["hr_operator"], dispatch.hr), "agreement", "seal", agreement_id,
        "--version", "1", "--org", HR_ORG, "--seal", key_file(tmp_path, dispatch.hr), "--json",
    )  # fmt: skip
    assert hr_seal.exit_code == 0, hr_seal.output
    assert json.loads(hr_seal.stdout)["status"] == "sealed"
    assert [e["payload"]["terms"] for e in dispatch.events("agreement_sealed")] == [terms]
    listed = cli(stack(dispatch, ["hr_operator"], dispatch.hr), "agreement", "list")
    assert listed.exit_code == 0 and "个旧人社劳务〔2026〕1号" in listed.stdout
    shown = cli(stack(dispatch, ["auditor"]), "agreement", "show", agreement_id)
    assert shown.exit_code == 0 and "500000.00" in shown.stdout and "sealed" in shown.stdout


def test_a_rules_file_and_an_amendment_that_only_reseals(cli, dispatch, tmp_path):
    rules = tmp_path / "rules.json"
    dispatch_input = dispatch.terms_input()
    rules.write_text(
        json.dumps({k: dispatch_input[k] for k in ("revenue", "subsidies")}, ensure_ascii=False),
        encoding="utf-8",
    )
    drafted = cli(stack(dispatch), *draft_args(), "--rules", str(rules))
    assert drafted.exit_code == 0, drafted.output
    agreement_id = json.loads(drafted.stdout)["agreement_id"]
    dispatch.seal(dispatch.get(agreement_id), dispatch.county)
    dispatch.seal(dispatch.get(agreement_id), dispatch.hr)
    amended = cli(
        stack(dispatch), "agreement", "amend", agreement_id, "--effective-from",
        today().isoformat(), "--per-placement", "350.00", "--qualifying-days", "60",
        "--per-month", "0", "--max-months", "0", "--revenue-shares", "40/30/30", "--json",
    )  # fmt: skip
    assert amended.exit_code == 0, amended.output
    v1, v2 = (v["terms"] for v in json.loads(amended.stdout)["versions"])
    assert v2["revenue"]["per_placement_fen"] == 35000 and v2["subsidies"] == v1["subsidies"]
    withdrawn = cli(stack(dispatch), "agreement", "withdraw", agreement_id, "--version", "2")
    assert withdrawn.exit_code == 0 and "withdrawn" in withdrawn.stdout


def test_a_key_that_is_not_the_named_seal_is_refused_before_anything_is_sent(
    cli, dispatch, tmp_path
):
    agreement_id = dispatch.draft()["agreement_id"]
    impostor = SimpleNamespace(org_id="impostor", seal=new_signing_key())
    workers = stack(dispatch)
    refused = cli(
        workers, "agreement", "seal", agreement_id, "--version", "1", "--org", HR_ORG,
        "--seal", key_file(tmp_path, impostor),
    )  # fmt: skip
    assert refused.exit_code == 1 and "SEAL_NOT_NAMED" in refused.stderr
    assert ("dispatch", "seal_agreement") not in workers.calls


class Tampered:
    """dispatch as a broker administrator (or a writer of its database) would answer: the real
    agreement, with the requested version's terms replaced by `terms(real_terms)`."""

    def __init__(self, worker, terms):
        self.worker, self.terms = worker, terms

    def get_agreement(self, agreement_id):
        view = self.worker.get_agreement(agreement_id)
        for version in view["versions"]:
            version["terms"] = self.terms(version["terms"])
        return view

    def seal_agreement(self, *args):
        raise AssertionError("the CLI sent a signature over terms it should have refused")


@pytest.mark.parametrize(
    "tamper",
    [
        # A signing-key revocation shaped to pass the CLI's seal-name check: the seal would
        # sign a valid revocation of the HR company's signatory.
        lambda t: {k: t[k] for k in ("county_cooperative", "county_cooperative_seal",
                                     "hr_company", "hr_company_seal")}
        | {"purpose": "revoke", "organisation_id": HR_ORG, "key_fingerprint": "victim"},
        lambda t: dict(t, purpose="open_joint_account"),
        lambda t: dict(t, agreement_id="another-agreement"),
        lambda t: dict(t, version=2),
        lambda t: dict(t, extra="an unsigned field"),
    ],
    ids=["a revocation", "another purpose", "another agreement", "another version", "extra"],
)  # fmt: skip
def test_the_seal_signs_only_the_requested_versions_agreement_terms(
    cli, dispatch, tmp_path, tamper
):
    agreement_id = dispatch.draft()["agreement_id"]
    workers = Workers(dispatch=Tampered(dispatch.as_(["county_admin"]), tamper), registry=DIRECTORY)
    refused = cli(
        workers, "agreement", "seal", agreement_id, "--version", "1", "--org", HR_ORG,
        "--seal", key_file(tmp_path, dispatch.hr),
    )  # fmt: skip
    assert refused.exit_code == 1 and "TERMS_REFUSED" in refused.stderr, refused.stderr
    assert ("dispatch", "seal_agreement") not in workers.calls


def test_the_services_refusal_reaches_the_clerk_as_one_line_with_its_code(cli, dispatch):
    bad = [*RULES]
    bad[bad.index("50/20/30")] = "50/20/20"
    refused = cli(stack(dispatch), *draft_args(), *bad)
    assert refused.exit_code == 1
    assert "AGREEMENT_TERMS_REJECTED" in refused.stderr and "9000" in refused.stderr
    missing = cli(stack(dispatch), *draft_args(), *RULES[:4])
    assert missing.exit_code == 2 and "--revenue-shares" in missing.output


def test_percentages_become_basis_points_exactly_or_are_refused():
    assert shares("33.33/33.33/33.34") == {"county": 3333, "township": 3333, "village": 3334}
    assert percent_bp("100%") == 10000 and percent_bp("0.5") == 50
    for text in ("50.001", "-5", "1e2", "五十"):
        with pytest.raises(click.BadParameter):
            percent_bp(text)
    with pytest.raises(click.BadParameter):
        shares("50/50")
