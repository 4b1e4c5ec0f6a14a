"""Cooperation agreements from the command line: drafted and amended by the county cooperative,
sealed by each party with its seal key file (the exact terms shown first), shown and listed.

Revenue and subsidy rules come from options (shares as percentages, county/township/village) or
from a JSON file (`--rules`) shaped as `dispatch.draft_agreement` takes them (docs/api.md):
`{"revenue": {"per_placement": "300.00", "qualifying_days": 90, "per_month": "50.00",
"max_months": 12, "shares_bp": {"county": 5000, "township": 2000, "village": 3000}},
"subsidies": {"policy": {"cooperatives_bp": 6000, "hr_company_bp": 4000,
"cooperative_shares_bp": {...}}, "employer": {...}}}`.
"""

from __future__ import annotations

import json
import re

import click

from dispatch_contract.agreements import PURPOSE, TERMS_FIELDS
from sanbao_cli import output
from sanbao_cli.client import CliError
from sanbao_cli.keys import PASSPHRASE, load_key
from sanbao_cli.names import OrgNames
from sanbao_cli.output import JSON_OPTION
from sanbao_cli.params import KEY_OPTION, pasteable
from sanbao_cli.session import Session, call_command
from sanbao_common.crypto import fingerprint, sign, statement_bytes
from sanbao_common.money import format_yuan

SHARE_PARTIES = ("county", "township", "village")
_PERCENT = re.compile(r"^(?P<whole>[0-9]{1,3})(?:\.(?P<frac>[0-9]{1,2}))?%?$")


def percent_bp(text: str) -> int:
    """ "33.33" (or "33.33%") -> 3333 basis points; at most two decimals, never rounded."""
    found = _PERCENT.match(text.strip())
    if not found:
        raise click.BadParameter(f"{text!r} is not a percentage with at most two decimals")
    return int(found["whole"]) * 100 + int((found["frac"] or "0").ljust(2, "0"))


def shares(text: str | None, parties=SHARE_PARTIES) -> dict | None:
    """ "50/20/30" -> {"county": 5000, "township": 2000, "village": 3000} (percentages)."""
    if text is None:
        return None
    parts = text.split("/")
    if len(parts) != len(parties):
        raise click.BadParameter(f"{text!r}: {len(parties)} percentages, {'/'.join(parties)}")
    return dict(zip(parties, (percent_bp(p) for p in parts), strict=True))


REVENUE_OPTIONS = ("per_placement", "qualifying_days", "per_month", "max_months", "revenue_shares")
SUBSIDY_OPTIONS = ("policy_split", "policy_shares", "employer_split", "employer_shares")


def rule_options(f):
    """The revenue and subsidy rules as options (or `--rules FILE`)."""
    options = [
        click.option("--rules", "rules_file", type=click.File("r", encoding="utf-8"),
                     help="A JSON file with the revenue and/or subsidy rules (see `--help` of "
                     "the group)."),
        click.option("--per-placement", help="Yuan per worker placed, after the qualifying days."),
        click.option("--qualifying-days", type=click.IntRange(0, 3660)),
        click.option("--per-month", help="Yuan per month of continued employment."),
        click.option("--max-months", type=click.IntRange(0, 600), help="0: no limit."),
        click.option("--revenue-shares", help="County/township/village percentages, e.g. "
                     "50/20/30."),
        click.option("--policy-split", help="Policy subsidies: cooperatives/HR company "
                     "percentages, e.g. 60/40."),
        click.option("--policy-shares", help="Their cooperatives' part: county/township/"
                     "village."),
        click.option("--employer-split", help="Employer subsidies: cooperatives/HR company."),
        click.option("--employer-shares", help="Their cooperatives' part: county/township/"
                     "village."),
    ]  # fmt: skip
    for option in reversed(options):
        f = option(f)
    return f


def _missing(given: dict, names) -> list[str]:
    return ["--" + n.replace("_", "-") for n in names if given.get(n) is None]


def rules(given: dict, required: bool) -> dict:
    """{"revenue": ..., "subsidies": ...} from `--rules` and the options (options win); when
    not `required`, a part none of whose options is given is left out (an amendment keeps the
    rules in force)."""
    found = json.load(given["rules_file"]) if given.get("rules_file") else {}
    if not isinstance(found, dict) or set(found) - {"revenue", "subsidies"}:
        raise click.BadParameter("an object with revenue and/or subsidies", param_hint="--rules")
    if any(given.get(n) is not None for n in REVENUE_OPTIONS) or (required and not found):
        missing = _missing(given, REVENUE_OPTIONS)
        if missing:
            raise click.UsageError(f"the revenue rule needs {', '.join(missing)} (or --rules)")
        found["revenue"] = {
            "per_placement": given["per_placement"],
            "qualifying_days": given["qualifying_days"],
            "per_month": given["per_month"],
            "max_months": given["max_months"],
            "shares_bp": shares(given["revenue_shares"]),
        }
    if any(given.get(n) is not None for n in SUBSIDY_OPTIONS) or (required and not found):
        missing = _missing(given, SUBSIDY_OPTIONS)
        if missing:
            raise click.UsageError(f"the subsidy rules need {', '.join(missing)} (or --rules)")
        found["subsidies"] = {
            kind: dict(
                zip(("cooperatives_bp", "hr_company_bp"),
                    shares(given[f"{kind}_split"], ("cooperatives", "hr")).values(),
                    strict=True),
                cooperative_shares_bp=shares(given[f"{kind}_shares"]),
            )
            for kind in ("policy", "employer")
        }  # fmt: skip
    if required and set(found) != {"revenue", "subsidies"}:
        raise click.UsageError("an agreement needs both its revenue and its subsidy rules")
    return found


# -- showing ----------------------------------------------------------------------------------


def _terms_shown(terms: dict) -> dict:
    """Terms to read before sealing them: the seals' fingerprints as everywhere else."""
    return {k: pasteable(v) if k.endswith("_seal") else v for k, v in terms.items()}


def _percent(bp: int) -> str:
    return f"{bp // 100}.{bp % 100:02d}%".replace(".00%", "%")


def _split(shares_bp: dict) -> str:
    return " / ".join(f"{party} {_percent(shares_bp[party])}" for party in SHARE_PARTIES)


def rules_shown(terms: dict) -> dict:
    """A version's revenue and subsidy rules as people read them (yuan, percentages)."""
    revenue = terms["revenue"]
    months = revenue["max_months"] or "no limit"
    shown = {
        "per worker placed": f"{format_yuan(revenue['per_placement_fen'])} yuan after "
        f"{revenue['qualifying_days']} days",
        "per month employed": f"{format_yuan(revenue['per_month_fen'])} yuan, months: {months}",
        "revenue shared": _split(revenue["shares_bp"]),
    }
    for kind, rule in terms["subsidies"].items():
        shown[f"{kind} subsidies"] = (
            f"cooperatives {_percent(rule['cooperatives_bp'])} "
            f"({_split(rule['cooperative_shares_bp'])}), "
            f"HR company {_percent(rule['hr_company_bp'])}"
        )
    return shown


def _version_of(view: dict, version: int | None) -> dict:
    number = version or view["draft_version"] or view["sealed_version"]
    for found in view["versions"]:
        if found["version"] == number:
            return found
    raise CliError("AGREEMENT_NOT_FOUND", f"the agreement has no version {number}")


def sealable_terms(terms, agreement_id: str, version: int) -> dict:
    """The terms a seal may sign: a cooperation agreement's, exactly the contract's fields, of
    the agreement and version asked for, an amendment not dated in the past. A seal signs
    whatever bytes it is given, so a reply shaped as anything else (a revocation, another
    agreement's terms, an amendment reaching back) is refused before the seal is even read."""
    problems = []
    if not isinstance(terms, dict) or set(terms) != set(TERMS_FIELDS):
        problems.append("they are not a cooperation agreement's terms (fields differ)")
    elif terms["purpose"] != PURPOSE:
        problems.append(f"their purpose is {terms['purpose']!r}, not {PURPOSE!r}")
    elif (terms["agreement_id"], terms["version"]) != (agreement_id, version):
        problems.append("they are another agreement's or another version's")
    elif version > 1 and str(terms["effective_from"]) < _today_in_china():
        problems.append(f"the amendment would take effect in the past ({terms['effective_from']})")
    if problems:
        raise CliError(
            "TERMS_REFUSED",
            f"not signing: {problems[0]} / 拒绝用印：返回的条款不是所请求协议版本的条款",
        )
    return terms


def _today_in_china() -> str:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()


def show_agreement(session: Session, view: dict, version: int | None = None) -> None:
    names = OrgNames(session)
    output.record(
        "cooperation agreement",
        {k: view[k] for k in ("agreement_id", "reference", "status")}
        | {
            "county_cooperative": f"{names(view['county_cooperative'])} "
            f"({view['county_cooperative']})",
            "hr_company": f"{names(view['hr_company'])} ({view['hr_company']})",
            "principal": view["principal"],
            "term": f"{view['term_start']} – {view['term_end']}",
            "bank": f"{view['bank_name']} {view['bank_account']}",
            "sealed version": view["sealed_version"],
            "draft waiting for seals": view["draft_version"],
        },
    )
    output.rows(
        "versions",
        ["version", "status", "effective from", "signed by", "waiting for", "sealed at"],
        [
            [
                v["version"],
                v["status"]
                + ("" if v.get("seals_in_effect", True) else " (names a seal no longer in effect)"),
                v["effective_from"],
                names.all(v["signed_by"]),
                names.all(v.get("waiting_for")),
                v["sealed_at"],
            ]
            for v in view["versions"]
        ],
    )
    if view["versions"]:
        chosen = _version_of(view, version)
        output.record(f"rules of version {chosen['version']}", rules_shown(chosen["terms"]))
        output.record(f"terms of version {chosen['version']}", _terms_shown(chosen["terms"]))


def _emit(session: Session, view: dict, as_json: bool, version: int | None = None) -> None:
    output.emit(view, as_json, lambda: show_agreement(session, view, version))


# -- commands ---------------------------------------------------------------------------------


@click.group()
def agreement():
    """Cooperation agreements between the county cooperative and an HR company (劳务合作协议).
    A version takes effect when both organisations' seals have signed its exact terms."""


@agreement.command("draft")
@click.option("--reference", required=True, help="The agreement's reference (文号).")
@click.option("--county-org", required=True, help="Org id of the county cooperative.")
@click.option("--hr-org", required=True, help="Org id of the HR company.")
@click.option("--principal", required=True, help="The fund's principal in yuan, e.g. 500000.00.")
@click.option("--start", "term_start", required=True, help="YYYY-MM-DD")
@click.option("--end", "term_end", required=True, help="YYYY-MM-DD")
@click.option("--bank-name", required=True, help="The joint account's bank (开户行).")
@click.option("--bank-account", required=True, help="The joint account's number.")
@click.option("--effective-from", help="YYYY-MM-DD (default: the term's start).")
@rule_options
@KEY_OPTION
@JSON_OPTION
@click.pass_obj
def agreement_draft(session: Session, idempotency_key, as_json, **given):
    """Draft version 1, naming both parties' seals in effect; it takes effect once both seals
    have signed it (sanbao agreement seal)."""
    terms = {
        "reference": given["reference"],
        "county_cooperative": given["county_org"],
        "hr_company": given["hr_org"],
        "principal": given["principal"],
        "term_start": given["term_start"],
        "term_end": given["term_end"],
        "bank_name": given["bank_name"],
        "bank_account": given["bank_account"],
        **rules(given, required=True),
    }
    if given["effective_from"]:
        terms["effective_from"] = given["effective_from"]
    view = call_command(session, "dispatch", "draft_agreement", terms, key=idempotency_key)
    _emit(session, view, as_json)


@agreement.command("amend")
@click.argument("agreement_id")
@click.option("--effective-from", required=True, help="YYYY-MM-DD, today or later.")
@rule_options
@KEY_OPTION
@JSON_OPTION
@click.pass_obj
def agreement_amend(session: Session, agreement_id, idempotency_key, as_json, **given):
    """Draft the next version from a date: new revenue or subsidy rules (those not given stay
    as in force), naming both parties' seals in effect now — how an agreement is re-sealed after
    a party's seal changed."""
    amendment = {"effective_from": given["effective_from"], **rules(given, required=False)}
    view = call_command(
        session, "dispatch", "amend_agreement", agreement_id, amendment, key=idempotency_key
    )
    _emit(session, view, as_json)


@agreement.command("withdraw")
@click.argument("agreement_id")
@click.option("--version", type=click.IntRange(1), required=True)
@KEY_OPTION
@JSON_OPTION
@click.pass_obj
def agreement_withdraw(session: Session, agreement_id, version, idempotency_key, as_json):
    """Withdraw a draft no one will seal (kept, never sealed)."""
    view = call_command(
        session, "dispatch", "withdraw_agreement_draft", agreement_id, version,
        key=idempotency_key,
    )  # fmt: skip
    _emit(session, view, as_json)


@agreement.command("seal")
@click.argument("agreement_id")
@click.option("--version", type=click.IntRange(1), required=True, help="The draft to seal.")
@click.option("--org", "org_id", required=True, help="Your organisation's org id.")
@click.option("--seal", "seal_file", required=True, type=click.Path(exists=True, dir_okay=False))
@PASSPHRASE
@KEY_OPTION
@JSON_OPTION
@click.pass_obj
def agreement_seal(
    session: Session, agreement_id, version, org_id, seal_file, passphrase, idempotency_key,
    as_json,
):  # fmt: skip
    """Sign the version's exact terms (shown first, to read) with your organisation's seal."""
    view = session.stack.call("dispatch", "get_agreement", agreement_id)
    terms = sealable_terms(_version_of(view, version)["terms"], agreement_id, version)
    if not as_json:
        output.record(f"the rules you are agreeing to (version {version})", rules_shown(terms))
        output.record(f"the terms you are signing (version {version})", _terms_shown(terms))
    seal = load_key(seal_file, passphrase)
    named = {
        terms["county_cooperative"]: terms["county_cooperative_seal"],
        terms["hr_company"]: terms["hr_company_seal"],
    }
    if org_id in named and fingerprint(seal) != named[org_id]:
        raise CliError(
            "SEAL_NOT_NAMED",
            f"the key in {seal_file} is seal {pasteable(fingerprint(seal))}; the terms name "
            f"{pasteable(named[org_id])} for {org_id} / 该密钥不是条款载明的本组织印鉴",
        )
    sealed = call_command(
        session, "dispatch", "seal_agreement", agreement_id, version, org_id,
        sign(seal, statement_bytes(terms)), key=idempotency_key,
    )  # fmt: skip
    _emit(session, sealed, as_json, version)


@agreement.command("show")
@click.argument("agreement_id")
@click.option("--version", type=click.IntRange(1), help="Whose terms to show (default: the "
              "draft waiting for seals, else the latest sealed).")  # fmt: skip
@JSON_OPTION
@click.pass_obj
def agreement_show(session: Session, agreement_id, version, as_json):
    """The agreement, its versions and one version's exact terms."""
    _emit(session, session.stack.call("dispatch", "get_agreement", agreement_id), as_json, version)


@agreement.command("list")
@click.option("--hr-org", help="Only this HR company's agreements.")
@click.option("--status", type=click.Choice(["draft", "sealed", "withdrawn"]))
@JSON_OPTION
@click.pass_obj
def agreement_list(session: Session, hr_org, status, as_json):
    """The agreements you may see."""
    found = session.stack.call("dispatch", "list_agreements", hr_org, status)
    names = OrgNames(session)
    output.emit(found, as_json, lambda: output.rows(
        f"cooperation agreements ({len(found['agreements'])})",
        ["agreement", "reference", "HR company", "status", "sealed version", "draft", "principal",
         "term"],
        [
            [a["agreement_id"], a["reference"], names(a["hr_company"]), a["status"],
             a["sealed_version"], a["draft_version"], a["principal"],
             f"{a['term_start']} – {a['term_end']}"]
            for a in found["agreements"]
        ],
    ))  # fmt: skip


COMMANDS = (agreement,)
