"""Masking of personal data (resident ID numbers, mobile phone numbers).

The masked forms keep just enough to tell records apart on a screen or in a log line:
an ID number keeps its 6-digit address code and its last 4 characters (never the birth date),
a phone keeps its 3-digit prefix and last 4 digits.

`mask_text` is the last line of defence, applied to every log line after formatting: it masks
anything that looks like an ID number or a phone, valid or not, because a mistyped ID number is
still somebody's ID number.
"""

from __future__ import annotations

import re

# 18-character ID numbers (and the 15-digit first-generation ones) not embedded in a longer run of
# digits or letters, so that UUIDs, hashes and long counters are left alone.
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{6})(\d{8})(\d{3}[0-9Xx])(?![0-9A-Za-z])")
_OLD_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{6})(\d{5})(\d{4})(?![0-9A-Za-z])")
# Mainland mobiles, with an optional +86/86 prefix and the separators people type.
_PHONE = re.compile(
    r"(?<![0-9A-Za-z])(?:\+?86[ -]?)?(1[3-9]\d)[ -]?(\d{4})[ -]?(\d{4})(?![0-9A-Za-z])"
)


def mask_id_number(id_number: str) -> str:
    """'532501199003150012' -> '532501********0012'."""
    value = id_number.strip()
    if len(value) < 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(phone: str) -> str:
    """'13769347503' -> '137****7503'."""
    digits = re.sub(r"\D", "", phone)[-11:]
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_text(text: str) -> str:
    """Mask every ID-number-like and phone-like run of digits in free text."""
    if not text:
        return text
    text = _ID_NUMBER.sub(lambda m: m.group(1) + "********" + m.group(3)[-4:], text)
    text = _OLD_ID_NUMBER.sub(lambda m: m.group(1) + "*****" + m.group(3), text)
    return _PHONE.sub(lambda m: m.group(1) + "****" + m.group(3), text)
