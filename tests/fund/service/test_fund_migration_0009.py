"""fund migration 0009 on both backends: accounts the fund's retired sealing opened keep exactly
the terms their seals signed (an amendment's number included), so `verify` still holds them; a
re-sealing in progress is dropped; and the downgrade gives the amendment number back."""

import json
import uuid
from datetime import date

import pytest
from alembic import command
from sqlalchemy import text

from fund.adapters.repository import Books
from fund.audit_trail import verify
from fund.domain.agreements import unsigned_changes
from sanbao_common.crypto import fingerprint, new_signing_key, public_key_text, sign
from sanbao_common.crypto import statement_bytes as canonical
from sanbao_common.db import create_database_engine
from sanbao_common.migrations import alembic_config, upgrade
from testkit import TEST_COUNTY, Registrar, service_dir

COUNTY_SEAL, HR_SEAL = new_signing_key(), new_signing_key()


@pytest.fixture
def empty_database(db_backend, database_templates, tmp_path):
    if db_backend == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.sqlite'}"
    return database_templates.create_postgres(f"sanbao_m_{uuid.uuid4().hex[:12]}")


def legacy_terms(account_id: str, amendment: int) -> dict:
    terms = {
        "purpose": "open_joint_account", "account_id": account_id,
        "agreement_ref": "个旧人社劳务〔2025〕4号", "county": TEST_COUNTY,
        "county_cooperative": "org-county", "hr_company": "org-hr", "principal_fen": 30_000_000,
        "term_start": "2025-06-01", "term_end": "2027-05-31",
        "county_cooperative_seal": fingerprint(COUNTY_SEAL),
        "hr_company_seal": fingerprint(HR_SEAL),
    }  # fmt: skip
    return dict(terms, amendment=amendment) if amendment else terms


def insert_account(connection, account_id: str, status: str, amendment: int, reseal=None):
    terms = legacy_terms(account_id, amendment)
    signatures = {
        "org-county": sign(COUNTY_SEAL, canonical(terms)),
        "org-hr": sign(HR_SEAL, canonical(terms)),
    }
    keys = {"org-county": public_key_text(COUNTY_SEAL), "org-hr": public_key_text(HR_SEAL)}
    connection.execute(
        text(
            "INSERT INTO joint_accounts (account_id, agreement_ref, county, county_org_id, "
            "hr_org_id, principal_fen, term_start, term_end, county_seal, hr_seal, status, "
            "seal_keys, seal_signatures, version, amendment, reseal) VALUES (:account_id, "
            ":agreement_ref, :county, 'org-county', 'org-hr', :principal_fen, :term_start, "
            ":term_end, :county_seal, :hr_seal, :status, :keys, :signatures, 3, :amendment, "
            ":reseal)"
        ),
        {
            "account_id": account_id, "agreement_ref": terms["agreement_ref"],
            "county": TEST_COUNTY, "principal_fen": terms["principal_fen"],
            "term_start": date(2025, 6, 1), "term_end": date(2027, 5, 31),
            "county_seal": fingerprint(COUNTY_SEAL), "hr_seal": fingerprint(HR_SEAL),
            "status": status, "keys": json.dumps(keys),
            "signatures": json.dumps(signatures if status == "open" else {}),
            "amendment": amendment, "reseal": json.dumps(reseal) if reseal else None,
        },
    )  # fmt: skip


def confirm(connection, registrar: Registrar, org: str, kind: str, seal) -> None:
    confirmation, signature = registrar.confirmation(org, kind, seal)
    connection.execute(
        text(
            "INSERT INTO seals (fingerprint, org_id, org_kind, public_key, status, confirmation, "
            "confirmation_signature) VALUES (:fp, :org, :kind, :key, 'effective', :c, :s)"
        ),
        {"fp": fingerprint(seal), "org": org, "kind": kind, "key": public_key_text(seal),
         "c": json.dumps(confirmation), "s": signature},
    )  # fmt: skip


def test_fund_0009_keeps_the_terms_the_seals_signed_and_gives_them_back(empty_database):
    url = empty_database
    upgrade(service_dir("fund"), url, "0008")
    registrar = Registrar()
    engine = create_database_engine(url, pool_size=1)
    try:
        with engine.begin() as connection:
            insert_account(connection, "acct-1", "open", 0)
            insert_account(connection, "acct-2", "open", 2, reseal={"terms": {}, "x": 1})
            insert_account(connection, "acct-3", "prepared", 0)
            confirm(connection, registrar, "org-county", "county_coop", COUNTY_SEAL)
            confirm(connection, registrar, "org-hr", "hr_company", HR_SEAL)
        upgrade(service_dir("fund"), url)
        with engine.connect() as connection:
            books = Books(connection)
            for account_id, amendment in (("acct-1", 0), ("acct-2", 2), ("acct-3", 0)):
                account = books.account(account_id)
                assert account.terms() == legacy_terms(account_id, amendment)
                assert (account.agreement_id, account.agreement_version) == (None, 0)
                assert (account.bank_name, account.bank_account, account.version) == ("", "", 3)
                assert unsigned_changes(account) == []
            assert books.account("acct-3").status == "prepared"
            assert books.held_agreements() == []
            report = verify(books, [], public_key_text(new_signing_key()), TEST_COUNTY,
                            registrar.keys)  # fmt: skip
            assert report["ok"], report
        command.downgrade(alembic_config(service_dir("fund"), url), "0008")
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT account_id, amendment, reseal FROM joint_accounts ORDER BY 1")
            ).all()
        assert [tuple(r) for r in rows] == [("acct-1", 0, None), ("acct-2", 2, None),
                                            ("acct-3", 0, None)]  # fmt: skip
        upgrade(service_dir("fund"), url)
    finally:
        engine.dispose()
