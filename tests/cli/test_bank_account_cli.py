"""`sanbao org bank-account` and `sanbao org show` through registry's real entrypoints: an
organisation's account set and changed, shown with who changed it and why to its own people, the
current one only to others, and refusals shown as one line with their code."""

import json

from cli_support import Workers, key

ACCOUNT = ["--bank-name", "中国农业银行个旧支行", "--account-name", "红河人力资源有限公司"]


def test_a_finance_person_sets_their_account_and_an_administrators_change_shows_to_them(
    registry_as, hr_company, cli
):
    org_id = hr_company["org_id"]
    finance = Workers(registry=registry_as(["finance"], hr_company, username="li.finance"))
    set_ = cli(finance, "org", "bank-account", org_id, *ACCOUNT, "--account-number",
               "24050101040012345", "--reason", "开立基本存款账户", "--json")  # fmt: skip
    assert set_.exit_code == 0, set_.output
    assert json.loads(set_.stdout)["version"] == 1
    admin = Workers(registry=registry_as(["county_admin"], username="wang.admin"))
    changed = cli(admin, "org", "bank-account", org_id, *ACCOUNT, "--account-number",
                  "24050101040099999", "--reason", "据企业来函变更")  # fmt: skip
    assert changed.exit_code == 0, changed.output
    assert "version 2" in changed.stdout
    shown = cli(finance, "org", "show", org_id)
    assert shown.exit_code == 0, shown.output
    text = shown.stdout
    assert "24050101040099999" in text and "24050101040012345" in text
    assert "user:wang.admin" in text and "据企业来函变更" in text


def test_others_see_the_current_account_only_and_cannot_set_it(registry_as, hr_company, cli):
    coop = registry_as(["county_admin"]).register_organisation(
        {"kind": "county_coop", "name": "个旧市劳务合作联社", "division_code": "532501"}, key()
    )
    registry_as(["county_admin"]).set_bank_account(
        hr_company["org_id"],
        {"bank_name": "中国建设银行红河分行", "account_name": "红河人力资源有限公司",
         "account_number": "53050163630800000123"},
        "开立基本存款账户",
        key(),
    )  # fmt: skip
    outsider = Workers(registry=registry_as(["finance"], coop, username="zhou.finance"))
    shown = cli(outsider, "org", "show", hr_company["org_id"], "--json")
    assert shown.exit_code == 0, shown.output
    seen = json.loads(shown.stdout)
    assert seen["bank_account"]["account_number"] == "53050163630800000123"
    assert "bank_account_history" not in seen
    refused = cli(outsider, "org", "bank-account", hr_company["org_id"], *ACCOUNT,
                  "--account-number", "62284801234567890", "--reason", "改账户")  # fmt: skip
    assert refused.exit_code == 1 and "[OUT_OF_SCOPE]" in refused.stderr
    bad = cli(outsider, "org", "bank-account", coop["org_id"], *ACCOUNT, "--account-number",
              "2405-0101-0400", "--reason", "开立基本存款账户")  # fmt: skip
    assert bad.exit_code == 1 and "[INVALID_INPUT]" in bad.stderr
    assert "account_number" in bad.stderr


def test_an_organisation_without_an_account_says_so(registry_as, hr_company, cli):
    reader = Workers(registry=registry_as(["hr_operator"], hr_company, username="hr.op"))
    shown = cli(reader, "org", "show", hr_company["org_id"])
    assert shown.exit_code == 0, shown.output
    assert "no bank account" in shown.stdout
