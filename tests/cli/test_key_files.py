"""`sanbao seal new` and `sanbao keys new` against the real registry: a key file appears whole
(mode 0600) and only once registry has the seal; a refused or unanswered attempt leaves no key
file and can simply be run again, with the same key; a key registry has is never lost with an
answer that did not come. Fingerprints print so that they paste without quotes."""

import json
import os
import stat

import pytest

from cli_support import PASSPHRASE, LosesAnswers, Workers
from sanbao_cli.keys import load_key, new_key_file
from sanbao_cli.params import pasteable
from sanbao_common.crypto import fingerprint


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def seals_of(registry_as, org) -> list[str]:
    return [s["fingerprint"] for s in registry_as(["county_admin"]).list_seals(None, org["org_id"])]


def test_a_refused_seal_leaves_no_key_file_and_runs_again_with_the_same_key(
    registry_as, hr_company, cli, tmp_path
):
    out = tmp_path / "hr-seal.pem"
    outsider = Workers(registry=registry_as(["county_admin"]))  # not one of the company's people
    refused = cli(outsider, "seal", "new", "--org", hr_company["org_id"], "--out", str(out))
    assert refused.exit_code == 1 and "[SEAL_REJECTED]" in refused.stderr
    assert not out.exists()
    waiting = tmp_path / "hr-seal.pem.pending"
    assert f"the key waits in {waiting}" in " ".join(refused.stderr.split())
    assert seals_of(registry_as, hr_company) == []
    first_key = fingerprint(load_key(str(waiting), PASSPHRASE))

    member = Workers(registry=registry_as(["finance"], hr_company, username="hr.fin"))
    submitted = cli(member, "seal", "new", "--org", hr_company["org_id"], "--out", str(out))
    assert submitted.exit_code == 0, submitted.output
    assert mode(out) == 0o600 and not waiting.exists()
    kept = fingerprint(load_key(str(out), PASSPHRASE))
    assert kept == first_key and seals_of(registry_as, hr_company) == [kept]
    # Shown ready to paste into the registrar's command, without quotes.
    shown = pasteable(kept)
    assert " " not in shown and f"--fingerprint {shown}" in submitted.stdout


@pytest.mark.parametrize("retry_key", ["same", "new"])
def test_a_seal_whose_answer_was_lost_is_kept_when_run_again(
    registry_as, hr_company, cli, tmp_path, retry_key
):
    """Registry has the seal; its answer never came. Run again (with the key the message names,
    or with a fresh one, as someone who lost it would), the same key is sent, registry's answer
    is taken, and the key file is made: one seal, the one in the file."""
    out = tmp_path / "hr-seal.pem"
    member = Workers(registry=registry_as(["finance"], hr_company, username="hr.fin"))
    args = ("seal", "new", "--org", hr_company["org_id"], "--out", str(out))
    lost = cli(LosesAnswers(member), *args, "--idempotency-key", "seal-new-hr-1")
    assert lost.exit_code == 1 and "[TIMEOUT]" in lost.stderr
    assert "--idempotency-key seal-new-hr-1" in lost.stderr
    assert not out.exists()
    (registered,) = seals_of(registry_as, hr_company)

    again = ("--idempotency-key", "seal-new-hr-1") if retry_key == "same" else ()
    kept = cli(member, *args, *again, "--json")
    assert kept.exit_code == 0, kept.output
    assert json.loads(kept.stdout)["fingerprint"] == registered
    assert fingerprint(load_key(str(out), PASSPHRASE)) == registered
    assert mode(out) == 0o600
    assert seals_of(registry_as, hr_company) == [registered]


def test_a_seal_file_is_never_overwritten(registry_as, hr_company, cli, tmp_path):
    out = tmp_path / "hr-seal.pem"
    member = Workers(registry=registry_as(["finance"], hr_company, username="hr.fin"))
    assert (
        cli(member, "seal", "new", "--org", hr_company["org_id"], "--out", str(out)).exit_code == 0
    )
    before = out.read_bytes()
    again = cli(member, "seal", "new", "--org", hr_company["org_id"], "--out", str(out))
    assert again.exit_code == 1 and "[KEY_FILE_EXISTS]" in again.stderr
    assert out.read_bytes() == before and len(seals_of(registry_as, hr_company)) == 1
    assert member.calls == [("registry", "register_seal")]  # the second sent nothing


def test_a_personal_key_appears_whole_with_mode_0600(cli, tmp_path):
    out = tmp_path / "zhou.pem"
    made = cli(Workers(), "keys", "new", "--out", str(out), "--json")
    assert made.exit_code == 0, made.output
    shown = json.loads(made.stdout)
    assert mode(out) == 0o600
    assert fingerprint(load_key(str(out), PASSPHRASE)) == shown["fingerprint"]
    assert not [name for name in os.listdir(tmp_path) if "partial" in name]
    human = cli(Workers(), "keys", "new", "--out", str(tmp_path / "li.pem"))
    made = pasteable(fingerprint(load_key(str(tmp_path / "li.pem"), PASSPHRASE)))
    assert " " not in made and made in human.stdout  # pastes without quotes


def test_a_key_file_that_cannot_be_written_is_one_error_and_leaves_nothing(tmp_path):
    from sanbao_cli.client import CliError

    with pytest.raises(CliError) as failed:
        new_key_file(str(tmp_path / "no-such-directory" / "k.pem"), PASSPHRASE)
    assert failed.value.code == "WRITE_FAILED" and os.listdir(tmp_path) == []
