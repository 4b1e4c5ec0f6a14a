"""Money as integer fen (1/100 yuan).

Subsidies and wages are paid out to the fen and audited against bank files, so an amount is an
`int` of fen from the moment it is typed until it is shown again: no float ever touches it, and
input with more precision than a fen is refused rather than rounded.
"""

from __future__ import annotations

import re
import unicodedata

FEN_PER_YUAN = 100
MAX_FEN = 10**15  # exclusive; far above any real amount, well inside a BIGINT column

_AMOUNT = re.compile(
    r"(?P<int>0|[1-9][0-9]{0,2}(?:,[0-9]{3})+|[1-9][0-9]*)(?:\.(?P<frac>[0-9]{1,2}))?", re.ASCII
)
_CURRENCY_SIGNS = frozenset("元圆円")  # CJK unit words; symbols proper are Unicode category Sc


class InvalidAmount(ValueError):
    """Text that is not an amount in yuan; the message is "English / 中文"."""

    def __init__(self, reason: str, message_en: str, message_zh: str):
        self.reason = reason
        super().__init__(f"{message_en} / {message_zh}")


def _is_currency_char(char: str) -> bool:
    return char in _CURRENCY_SIGNS or unicodedata.category(char) == "Sc"


def _diagnose(text: str) -> InvalidAmount:
    """The most helpful refusal for text that does not match the amount pattern."""
    lowered = text.lower()
    if lowered in ("nan", "inf", "infinity"):
        return InvalidAmount("not_number", "not a number", "不是数字")
    if re.search(r"[0-9]e[+-]?[0-9]", lowered):
        return InvalidAmount("exponent", "exponent notation is not accepted", "不接受科学计数法")
    if text.startswith("+"):
        return InvalidAmount("sign", "no plus sign, please", "请勿输入正号")
    if text.startswith("-"):
        return InvalidAmount("sign", "only one leading minus sign is allowed", "只允许一个负号")
    whole, point, frac = text.partition(".")
    if point and (not whole or not frac):
        return InvalidAmount(
            "decimal_point",
            "write a digit on both sides of the decimal point",
            "小数点两侧都应有数字",
        )
    if point and len(frac) > 2 and frac.isascii() and frac.isdigit():
        return InvalidAmount(
            "precision",
            "at most 2 decimal places (fen); not rounded",
            "最多两位小数（分），不做四舍五入",
        )
    if len(whole) > 1 and whole.startswith("0") and "," not in whole:
        return InvalidAmount("leading_zero", "no leading zeros, please", "请勿在数字前补零")
    if "," in whole:
        return InvalidAmount(
            "grouping",
            "thousands separators must group digits in threes",
            "千位分隔符应每三位一组",
        )
    return InvalidAmount("syntax", "not an amount in yuan", "不是有效的金额（元）")


def parse_yuan(text: str, *, allow_negative: bool = False) -> int:
    """Fen from an amount in yuan as a person writes it ("1,234.50", full-width digits too)."""
    if not isinstance(text, str):
        raise TypeError(f"expected str, got {type(text).__name__}")
    body = unicodedata.normalize("NFKC", text).strip()
    if not body:
        raise InvalidAmount("empty", "amount is empty", "金额为空")
    if any(_is_currency_char(char) for char in body):
        raise InvalidAmount(
            "currency_symbol",
            "currency symbols are not accepted; enter the number of yuan only",
            "请勿输入货币符号，只填写元数",
        )
    if any(char.isspace() for char in body):
        raise InvalidAmount("space", "no spaces inside an amount", "金额中间不能有空格")
    negative = body.startswith("-")
    if negative:
        if not allow_negative:
            raise InvalidAmount(
                "negative", "negative amounts are not allowed here", "此处不允许负数"
            )
        body = body[1:]
    match = _AMOUNT.fullmatch(body)
    if match is None:
        raise _diagnose(body)
    whole = match["int"].replace(",", "")
    if len(whole) > len(str(MAX_FEN // FEN_PER_YUAN)):  # before int(): refuse huge text cheaply
        raise _too_large()
    fen = int(whole) * FEN_PER_YUAN + int((match["frac"] or "0").ljust(2, "0"))
    if fen >= MAX_FEN:
        raise _too_large()
    return -fen if negative else fen


def _too_large() -> InvalidAmount:
    return InvalidAmount(
        "too_large",
        f"amount must be below {format_yuan(MAX_FEN, grouping=True)} yuan",
        f"金额须小于{format_yuan(MAX_FEN, grouping=True)}元",
    )


def format_yuan(fen: int, *, grouping: bool = False) -> str:
    """Yuan with exactly two decimals, e.g. 123450 -> "1234.50"; parse_yuan reads it back."""
    if not isinstance(fen, int) or isinstance(fen, bool):
        raise TypeError(f"amount must be int fen, not {type(fen).__name__}")
    yuan, rest = divmod(abs(fen), FEN_PER_YUAN)
    whole = f"{yuan:,}" if grouping else str(yuan)
    return f"{'-' if fen < 0 else ''}{whole}.{rest:02d}"


def _positive_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def split_largest_remainder(total_fen: int, weights: list[tuple[str, int]]) -> dict[str, int]:
    """Split `total_fen` in proportion to integer weights; the parts always add up to the total.

    Each party first gets the floor of its exact share; the fen left over go one each to the
    largest remainders, earlier parties winning ties, so the result is reproducible to the fen.
    """
    if not isinstance(total_fen, int) or isinstance(total_fen, bool):
        raise TypeError(f"total must be int fen, not {type(total_fen).__name__}")
    if total_fen < 0:
        raise ValueError("total to split must not be negative")
    if not weights:
        raise ValueError("nobody to split between")
    names = [name for name, _ in weights]
    if len(set(names)) != len(names):
        raise ValueError("party names must be unique")
    if not all(_positive_int(weight) for _, weight in weights):
        raise ValueError("weights must be positive integers")

    weight_sum = sum(weight for _, weight in weights)
    floors, remainders = [], []
    for _, weight in weights:
        floor, remainder = divmod(total_fen * weight, weight_sum)
        floors.append(floor)
        remainders.append(remainder)
    leftover = total_fen - sum(floors)  # always < len(weights)
    winners = sorted(range(len(weights)), key=lambda i: (-remainders[i], i))[:leftover]
    for index in winners:
        floors[index] += 1
    return dict(zip(names, floors, strict=True))
