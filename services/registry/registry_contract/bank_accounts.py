"""A bank account as the county's services write it: the bank (and branch), the account's name,
its number. Registry keeps each organisation's (`set_bank_account`, published as
`organisation_bank_account_changed`); a service that takes a bank account from elsewhere (a
labourer's, in a reimbursement line) can check it by the same rules. Standard library only."""

from __future__ import annotations

import re
import unicodedata

BANK_ACCOUNT_FIELDS = ("bank_name", "account_name", "account_number")
NAME_CHARACTERS = (2, 100)  # a bank's or an account's name, after spaces are folded
ACCOUNT_NUMBER_DIGITS = (8, 32)
_DIGITS = re.compile(r"[0-9]+", re.ASCII)


def folded(value: str) -> str:
    """NFKC (full-width letters and digits become plain ones), inner runs of spaces made one,
    stripped."""
    return " ".join(unicodedata.normalize("NFKC", value).split())


def _name_problem(text: str) -> str | None:
    low, high = NAME_CHARACTERS
    if low <= len(text) <= high:
        return None
    return f"{low} to {high} characters / 应为 {low} 至 {high} 个字符"


def _number_problem(text: str) -> str | None:
    low, high = ACCOUNT_NUMBER_DIGITS
    if _DIGITS.fullmatch(text) and low <= len(text) <= high:
        return None
    return f"{low} to {high} digits, nothing else / 应为 {low} 至 {high} 位数字，不含其他字符"


def clean_bank_account(account) -> tuple[dict, dict[str, list[str]]]:
    """`account` ({bank_name, account_name, account_number}, nothing else) folded, and each
    field's problems (none: an empty dict). An account number is digits only (full-width ones
    are taken as plain digits); spaces inside it are a problem, not removed, so that what is
    stored is what was read back to the person who typed it."""
    if not isinstance(account, dict):
        return {}, {"_schema": ["an object: bank_name, account_name, account_number"]}
    problems: dict[str, list[str]] = {
        str(name): ["unknown field / 未知字段"]
        for name in account
        if name not in BANK_ACCOUNT_FIELDS
    }
    clean = {}
    for name in BANK_ACCOUNT_FIELDS:
        value = account.get(name)
        if not isinstance(value, str):
            problems[name] = ["required, as text / 必填，应为文本"]
            continue
        clean[name] = folded(value)
        check = _number_problem if name == "account_number" else _name_problem
        if (problem := check(clean[name])) is not None:
            problems[name] = [problem]
    return clean, problems
