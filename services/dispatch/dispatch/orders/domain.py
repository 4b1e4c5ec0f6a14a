"""Employers, HR companies' service stations and job orders, and the rules they keep: pure
Python, no I/O. Guards collect every problem of a request and raise one error naming them all,
so a clerk corrects the whole form at once.

A job order's dates: `starts_on` is the day work starts (the people must be there by then, so it
is also when recruiting for it ends); `ends_on`, optional, the last day of work for seasonal or
fixed-term jobs (none: open-ended employment). An order is opened under a cooperation agreement
sealed by both organisations, for a start within the agreement's term on which a sealed
version is in force and not before today (Asia/Shanghai); its work may go on after the term.
An order is open until it ends: `filled` (everyone wanted was placed), `closed` (no more wanted)
or `cancelled` (it will not happen: a reason is required).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

from dispatch.orders.errors import (
    AgreementEnded,
    AgreementNotSealed,
    OrderNotOpen,
    OrderRejected,
    VocabularyCodeUnknown,
)
from dispatch_contract.vocabularies import ORDER_ENDINGS, ORDER_OPEN, PLACE_SCOPES
from registry_contract.industries_and_skills import term_key

MAX_HEAD_COUNT = 10_000
# Per month; registry's bound for the wage a labourer expects (docs/api.md), so the two compare.
MAX_WAGE_FEN = 10_000_000
AGE_FLOOR, AGE_CEILING = 16, 65  # working age: no order for children, none past 65
MAX_SKILLS = 20
CANCELLED = "cancelled"

Problem = tuple[str, str]  # (中文, English)


@dataclass(frozen=True)
class Employer:
    employer_id: str
    name: str
    credit_code: str
    place_scope: str
    place: str
    industry: str
    registered_by_org: str
    version: int
    registered_at: datetime
    registered_by: str


@dataclass(frozen=True)
class ServiceStation:
    station_id: str
    hr_company: str
    name: str
    place_scope: str
    place: str
    version: int
    registered_at: datetime
    registered_by: str


@dataclass(frozen=True)
class JobOrder:
    order_id: str
    agreement_id: str
    hr_company: str
    employer_id: str
    station_id: str | None
    title: str
    positions: str
    head_count: int
    wage_min_fen: int
    wage_max_fen: int
    place_scope: str
    place: str
    industry: str
    skills: tuple[str, ...]
    age_min: int | None
    age_max: int | None
    starts_on: date
    ends_on: date | None
    status: str
    reason: str | None
    version: int
    opened_at: datetime
    opened_by: str
    closed_at: datetime | None = None
    closed_by: str | None = None


def _rejected(problems: list[Problem]) -> OrderRejected:
    return OrderRejected(
        message_en="the job order is not acceptable: " + "; ".join(en for _, en in problems),
        message_zh="用工需求不合规：" + "；".join(zh for zh, _ in problems),
    )


def _lookup(word: str, vocabulary: dict[str, dict]) -> str | None:
    """The code of the term `word` is: its code (any case), its name or one of its aliases."""
    for code in (word, word.upper(), word.lower()):
        if code in vocabulary:
            return code
    key = term_key(word)
    # Terms in use first: a retired term's words may have been given to another since.
    for code, term in sorted(vocabulary.items(), key=lambda item: bool(item[1].get("retired"))):
        if key and (term_key(term["name"]) == key or key in map(term_key, term["aliases"])):
            return code
    return None


def resolve_codes(kind: str, words: list[str], vocabulary: dict[str, dict]) -> list[str]:
    """The codes of `words` (codes, names or aliases) in the county's `kind` vocabulary
    (retired terms included, to say so), sorted and unique; VocabularyCodeUnknown names every
    word that is no term, or a retired one."""
    found = {word: _lookup(word, vocabulary) for word in words}
    unknown = [word for word, code in found.items() if code is None]
    retired = [word for word, code in found.items() if code and vocabulary[code].get("retired")]
    if not unknown and not retired:
        return sorted(set(found.values()))
    what_en, what_zh = {"industry": ("industry", "行业"), "skill": ("skill", "技能")}.get(
        kind, (kind, kind)
    )
    parts_en = [f"no {what_en} {', '.join(unknown)}"] if unknown else []
    parts_zh = [f"没有{what_zh}“{'、'.join(unknown)}”"] if unknown else []
    if retired:
        parts_en.append(f"{what_en} {', '.join(retired)} is retired")
        parts_zh.append(f"{what_zh}“{'、'.join(retired)}”已停用")
    raise VocabularyCodeUnknown(
        message_en="; ".join(parts_en) + " (sanbao directory vocabulary list)",
        message_zh="；".join(parts_zh) + "（sanbao directory vocabulary list）",
        kind=kind,
    )


def number_problems(
    head_count: int, wage_min_fen: int, wage_max_fen: int, age_min: int | None, age_max: int | None
) -> list[Problem]:
    problems: list[Problem] = []
    if not 1 <= head_count <= MAX_HEAD_COUNT:
        problems.append(
            (
                f"人数应为 1 至 {MAX_HEAD_COUNT}（而非 {head_count}）",
                f"head count must be 1 to {MAX_HEAD_COUNT}, not {head_count}",
            )
        )
    wages = (("wage_min", "最低月薪", wage_min_fen), ("wage_max", "最高月薪", wage_max_fen))
    for name, zh, fen in wages:
        if not 0 < fen <= MAX_WAGE_FEN:
            problems.append(
                (
                    f"{zh}应大于 0 且不超过 100000 元",
                    f"{name} must be more than 0 and at most 100000 yuan",
                )
            )
    if wage_min_fen > wage_max_fen:
        problems.append(("最低月薪高于最高月薪", "wage_min is more than wage_max"))
    for name, zh, age in (("age_min", "最低年龄", age_min), ("age_max", "最高年龄", age_max)):
        if age is not None and not AGE_FLOOR <= age <= AGE_CEILING:
            problems.append(
                (
                    f"{zh}应在 {AGE_FLOOR} 至 {AGE_CEILING} 岁之间（而非 {age}）",
                    f"{name} must be {AGE_FLOOR} to {AGE_CEILING}, not {age}",
                )
            )
    if age_min is not None and age_max is not None and age_min > age_max:
        problems.append(
            (
                f"最低年龄 {age_min} 高于最高年龄 {age_max}",
                f"age_min {age_min} is more than age_max {age_max}",
            )
        )
    return problems


def date_problems(
    starts_on: date, ends_on: date | None, today: date, agreement: dict
) -> list[Problem]:
    """`agreement` as `dispatch.agreements.queries.agreement_for_orders` gives it on `starts_on`."""
    problems: list[Problem] = []
    if starts_on < today:
        problems.append(
            (
                f"开工日期 {starts_on} 早于今天（{today}）",
                f"starts_on {starts_on} is before today ({today})",
            )
        )
    if ends_on is not None and ends_on < starts_on:
        problems.append(
            (
                f"结束日期 {ends_on} 早于开工日期 {starts_on}",
                f"ends_on {ends_on} is before starts_on {starts_on}",
            )
        )
    start, end = agreement["term_start"], agreement["term_end"]
    if not start <= starts_on <= end:
        problems.append(
            (
                f"开工日期 {starts_on} 不在协议期限 {start} 至 {end} 内",
                f"starts_on {starts_on} is outside the agreement's term, {start} to {end}",
            )
        )
    elif agreement["version_in_force"] is None:
        problems.append(
            (
                f"开工日期 {starts_on} 时协议尚无生效版本",
                f"no sealed version of the agreement is in force on starts_on {starts_on}",
            )
        )
    return problems


def check_agreement_open(agreement: dict, today: date) -> None:
    """Orders go only under an agreement both seals made effective, whose term is not over."""
    if not agreement["sealed"]:
        raise AgreementNotSealed(agreement_id=agreement["agreement_id"])
    if agreement["term_end"] < today:
        raise AgreementEnded(
            message_en=f"the agreement's term ended on {agreement['term_end']}: no new order",
            message_zh=f"该协议已于 {agreement['term_end']} 期满，不能再发布用工需求",
            agreement_id=agreement["agreement_id"],
        )


def check_order(order: JobOrder, agreement: dict, today: date) -> None:
    """Everything an order must be, given its agreement on its start date; one error names
    every problem."""
    check_agreement_open(agreement, today)
    problems = number_problems(
        order.head_count, order.wage_min_fen, order.wage_max_fen, order.age_min, order.age_max
    ) + date_problems(order.starts_on, order.ends_on, today, agreement)
    if order.place_scope not in PLACE_SCOPES:
        problems.append(
            (
                f"工作地范围“{order.place_scope}”无效",
                f"place scope {order.place_scope!r} is unknown",
            )
        )
    if len(order.skills) > MAX_SKILLS:
        problems.append((f"技能最多 {MAX_SKILLS} 项", f"at most {MAX_SKILLS} skills"))
    if problems:
        raise _rejected(problems)


def end_order(order: JobOrder, outcome: str, reason: str | None, at: datetime, by: str) -> JobOrder:
    """The order ended as `outcome` (filled, closed or cancelled); once only."""
    if order.status != ORDER_OPEN:
        raise OrderNotOpen(order_id=order.order_id, status=order.status)
    if outcome not in ORDER_ENDINGS:
        raise OrderRejected(
            message_en=f"outcome must be one of {', '.join(ORDER_ENDINGS)}, not {outcome!r}",
            message_zh=f"结束方式应为 {'、'.join(ORDER_ENDINGS)} 之一",
        )
    if outcome == CANCELLED and not reason:
        raise OrderRejected(
            message_en="say why the order is cancelled (reason)",
            message_zh="取消用工需求须说明原因（reason）",
        )
    return replace(
        order, status=outcome, reason=reason or None, version=order.version + 1,
        closed_at=at, closed_by=by,
    )  # fmt: skip
