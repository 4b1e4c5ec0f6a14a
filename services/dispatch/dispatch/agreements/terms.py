"""An agreement's terms: what a caller sends (amounts as yuan text, shares as basis points), how
it is checked, and the exact terms both seals sign (`dispatch_contract.agreements`: amounts in
fen, dates as ISO text). Nothing here touches the database."""

from __future__ import annotations

import re
from datetime import date

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from dispatch.exceptions import AgreementTermsRejected
from dispatch_contract.agreements import (
    FIXED_FIELDS,
    PURPOSE,
    REVENUE_FIELDS,
    SHARE_PARTIES,
    SUBSIDY_FIELDS,
    SUBSIDY_KINDS,
    TERMS_FIELDS,
    WHOLE_BP,
)
from sanbao_common.money import InvalidAmount, format_yuan, parse_yuan

MAX_DAYS = 3660  # a qualifying period: at most ten years
MAX_MONTHS = 600
_BANK_ACCOUNT = re.compile(r"^[0-9]{8,32}$")


class Amount(fields.String):
    """An amount in yuan ("300.00"), loaded as integer fen; zero allowed, never negative."""

    def __init__(self, *, positive: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.positive = positive

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            fen = parse_yuan(super()._deserialize(value, attr, data, **kwargs))
        except InvalidAmount as exc:
            raise ValidationError(str(exc)) from None
        if self.positive and fen <= 0:
            raise ValidationError("must be more than zero / 金额须大于零")
        return fen


class Count(fields.Integer):
    """A whole number from 0 to `most` (never a boolean, a fraction or a text)."""

    def __init__(self, most: int, **kwargs):
        super().__init__(strict=True, validate=validate.Range(min=0, max=most), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            raise ValidationError("a whole number, not true/false / 须为整数")
        return super()._deserialize(value, attr, data, **kwargs)


class Text(fields.String):
    """Text with surrounding spaces taken off, 1 to `most` characters."""

    def __init__(self, most: int, **kwargs):
        super().__init__(validate=validate.Length(min=1, max=most), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        return " ".join(super()._deserialize(value, attr, data, **kwargs).split())


class Strict(Schema):
    class Meta:
        unknown = RAISE


class SharesSchema(Strict):
    county = Count(WHOLE_BP, required=True)
    township = Count(WHOLE_BP, required=True)
    village = Count(WHOLE_BP, required=True)


class RevenueSchema(Strict):
    per_placement = Amount(required=True)
    qualifying_days = Count(MAX_DAYS, required=True)
    per_month = Amount(required=True)
    max_months = Count(MAX_MONTHS, required=True)
    shares_bp = fields.Nested(SharesSchema, required=True)


class SubsidySchema(Strict):
    cooperatives_bp = Count(WHOLE_BP, required=True)
    hr_company_bp = Count(WHOLE_BP, required=True)
    cooperative_shares_bp = fields.Nested(SharesSchema, required=True)


class SubsidiesSchema(Strict):
    policy = fields.Nested(SubsidySchema, required=True)
    employer = fields.Nested(SubsidySchema, required=True)


class DraftSchema(Strict):
    reference = Text(100, required=True)
    county_cooperative = Text(36, required=True)
    hr_company = Text(36, required=True)
    principal = Amount(required=True, positive=True)
    term_start = fields.Date(required=True)
    term_end = fields.Date(required=True)
    bank_name = Text(100, required=True)
    bank_account = fields.String(required=True)
    effective_from = fields.Date(load_default=None)  # the term's start unless given
    revenue = fields.Nested(RevenueSchema, required=True)
    subsidies = fields.Nested(SubsidiesSchema, required=True)


class AmendmentSchema(Strict):
    effective_from = fields.Date(required=True)
    # Unless given, the latest version's rules carry over (an amendment only to re-seal).
    revenue = fields.Nested(RevenueSchema, load_default=None)
    subsidies = fields.Nested(SubsidiesSchema, load_default=None)


def _rejected(field: str, en: str, zh: str) -> AgreementTermsRejected:
    return AgreementTermsRejected(
        message_en=f"{field}: {en}", message_zh=f"{field}：{zh}", field=field
    )


def revenue_terms(data: dict) -> dict:
    """The revenue rules as sealed (fen), checked: something is paid, the shares add up."""
    revenue = {
        "per_placement_fen": data["per_placement"],
        "qualifying_days": data["qualifying_days"],
        "per_month_fen": data["per_month"],
        "max_months": data["max_months"],
        "shares_bp": {p: data["shares_bp"][p] for p in SHARE_PARTIES},
    }
    check_revenue(revenue)
    return revenue


def subsidy_terms(data: dict) -> dict:
    subsidies = {
        kind: {
            "cooperatives_bp": data[kind]["cooperatives_bp"],
            "hr_company_bp": data[kind]["hr_company_bp"],
            "cooperative_shares_bp": {
                p: data[kind]["cooperative_shares_bp"][p] for p in SHARE_PARTIES
            },
        }
        for kind in SUBSIDY_KINDS
    }
    check_subsidies(subsidies)
    return subsidies


def _check_whole(field: str, shares: dict) -> None:
    if any(not isinstance(v, int) or isinstance(v, bool) or v < 0 for v in shares.values()):
        raise _rejected(field, "no share may be negative", "份额不得为负数")
    total = sum(shares.values())
    if total != WHOLE_BP:
        raise _rejected(
            field,
            f"the shares add up to {total} basis points, not {WHOLE_BP}",
            f"各方份额合计 {total} 个基点，应为 {WHOLE_BP}",
        )


def check_revenue(revenue: dict) -> None:
    if set(revenue) != set(REVENUE_FIELDS):
        raise _rejected("revenue", "not the revenue fields", "收益金条款字段不符")
    if revenue["per_placement_fen"] <= 0 and revenue["per_month_fen"] <= 0:
        raise _rejected(
            "revenue",
            "the HR company pays something: per_placement or per_month above zero",
            "按人次或按月的收益金至少一项须大于零",
        )
    _check_whole("revenue.shares_bp", revenue["shares_bp"])


def check_subsidies(subsidies: dict) -> None:
    if set(subsidies) != set(SUBSIDY_KINDS):
        raise _rejected("subsidies", "one rule for each of policy and employer", "须含两类补贴")
    for kind, rule in subsidies.items():
        if set(rule) != set(SUBSIDY_FIELDS):
            raise _rejected(f"subsidies.{kind}", "not the subsidy fields", "补贴条款字段不符")
        split = {"cooperatives": rule["cooperatives_bp"], "hr_company": rule["hr_company_bp"]}
        _check_whole(f"subsidies.{kind} (cooperatives_bp + hr_company_bp)", split)
        _check_whole(f"subsidies.{kind}.cooperative_shares_bp", rule["cooperative_shares_bp"])


def fixed_terms(data: dict, county: str, agreement_id: str) -> dict:
    """The fields no amendment changes, checked: the parties differ, the term is a term, the
    account number is one."""
    if data["county_cooperative"] == data["hr_company"]:
        raise _rejected(
            "hr_company",
            "the two parties must be different organisations",
            "协议双方须为不同的组织",
        )
    if data["term_end"] <= data["term_start"]:
        raise _rejected(
            "term_end", "the term must end after it starts", "协议期限的结束日须晚于开始日"
        )
    account = "".join(data["bank_account"].split())
    if not _BANK_ACCOUNT.match(account):
        raise _rejected(
            "bank_account", "a bank account number is 8 to 32 digits", "银行账号应为 8 至 32 位数字"
        )
    return {
        "agreement_id": agreement_id,
        "reference": data["reference"],
        "county": county,
        "county_cooperative": data["county_cooperative"],
        "hr_company": data["hr_company"],
        "principal_fen": data["principal"],
        "term_start": data["term_start"].isoformat(),
        "term_end": data["term_end"].isoformat(),
        "bank_name": data["bank_name"],
        "bank_account": account,
    }


def check_effective_from(
    fixed: dict, effective_from: date, previous: date | None, today: date | None
) -> None:
    """Within the term; an amendment after the previous sealed version's `effective_from`, and
    not before `today` (an amendment never rewrites how the past is settled)."""
    start, end = date.fromisoformat(fixed["term_start"]), date.fromisoformat(fixed["term_end"])
    if not start <= effective_from <= end:
        raise _rejected(
            "effective_from",
            f"must be within the term, {start} to {end}",
            f"须在协议期限 {start} 至 {end} 之内",
        )
    if previous is not None and effective_from <= previous:
        raise _rejected(
            "effective_from",
            f"an amendment takes effect after the version in force, which took effect {previous}",
            f"修订须晚于现行版本的生效日 {previous}",
        )
    if today is not None and effective_from < today:
        raise _rejected(
            "effective_from",
            f"an amendment cannot take effect in the past (today is {today})",
            f"修订不得追溯既往（今天是 {today}）",
        )


def sealed_terms(
    fixed: dict,
    version: int,
    effective_from: date,
    revenue: dict,
    subsidies: dict,
    seals: dict,
) -> dict:
    """One version's exact terms, as both seals sign them; `seals` maps each party's org id to
    the fingerprint of its seal in effect."""
    terms = dict(
        fixed,
        purpose=PURPOSE,
        version=version,
        effective_from=effective_from.isoformat(),
        revenue=revenue,
        subsidies=subsidies,
        county_cooperative_seal=seals[fixed["county_cooperative"]],
        hr_company_seal=seals[fixed["hr_company"]],
    )
    assert set(terms) == set(TERMS_FIELDS), sorted(set(terms) ^ set(TERMS_FIELDS))
    return terms


def fixed_of(terms: dict) -> dict:
    return {name: terms[name] for name in FIXED_FIELDS}


def shown_yuan(terms: dict) -> dict:
    """The amounts of a version's terms in yuan, for people to read next to the exact terms."""
    return {
        "principal": format_yuan(terms["principal_fen"], grouping=True),
        "per_placement": format_yuan(terms["revenue"]["per_placement_fen"], grouping=True),
        "per_month": format_yuan(terms["revenue"]["per_month_fen"], grouping=True),
    }
