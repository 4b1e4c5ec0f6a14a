"""Masking of personal data (resident ID numbers, mobile phone numbers): the one definition of
the masked forms every reply, event, export, history entry and log line uses.

What a masked form may keep is set by what an attacker who sees it could rebuild. Whoever sees
a masked record also sees the person's sex, birth year, village and name; the village gives away
the ID number's region code and the phone's HLR block (its 4th to 7th digits). So:

- an ID number keeps its 6-digit region code and its check digit, `532501***********3`: with the
  sex and birth year known, about 16,600 valid numbers remain (365 birth dates times 500
  sequence numbers of that sex, one in eleven of them with that check digit), never fewer than
  10,000 (tests/common/unit/test_masked_forms.py enumerates them);
- a phone keeps its 3-digit carrier prefix only, `137********`: with the HLR block guessed from
  the village, 10,000 subscriber numbers remain.

docs/access.md "Masked forms" says the same for operators. `mask_text` is the last line of
defence, applied to every log line after formatting: it masks anything that looks like an ID
number or a phone, valid or not, because a mistyped ID number is still somebody's ID number.
"""

from __future__ import annotations

import re

ID_REGION_DIGITS = 6  # kept in front
ID_CHECK_CHARACTERS = 1  # kept at the end
PHONE_PREFIX_DIGITS = 3  # kept in front

# 18-character ID numbers (and the 15-digit first-generation ones) not embedded in a longer run of
# digits or letters, so that UUIDs, hashes and long counters are left alone.
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{17}[0-9Xx](?![0-9A-Za-z])")
_OLD_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{15}(?![0-9A-Za-z])")
# Mainland mobiles, with an optional +86/86 prefix and the separators people type.
_PHONE = re.compile(
    r"(?<![0-9A-Za-z])(?:\+?86[ -]?)?(1[3-9]\d)[ -]?(\d{4})[ -]?(\d{4})(?![0-9A-Za-z])"
)


def mask_id_number(id_number: str) -> str:
    """'532501199003150013' -> '532501***********3'. A first-generation 15-digit number has no
    check digit and keeps its region code only."""
    value = id_number.strip()
    if len(value) < ID_REGION_DIGITS + 8:
        return "*" * len(value)
    kept_at_end = ID_CHECK_CHARACTERS if len(value) == 18 else 0
    hidden = len(value) - ID_REGION_DIGITS - kept_at_end
    return value[:ID_REGION_DIGITS] + "*" * hidden + value[len(value) - kept_at_end :]


def mask_phone(phone: str) -> str:
    """'13769347503' -> '137********'."""
    digits = re.sub(r"\D", "", phone)[-11:]
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:PHONE_PREFIX_DIGITS] + "*" * (len(digits) - PHONE_PREFIX_DIGITS)


def remask(masked: str | None) -> str | None:
    """A masked ID number or phone of an earlier, more revealing form (`532501********0013`,
    `137****7503`) in today's form, without the number itself: what a migration uses."""
    if not masked:
        return masked
    if len(masked) == 18:
        return masked[:ID_REGION_DIGITS] + "*" * 11 + masked[-ID_CHECK_CHARACTERS:]
    if len(masked) == 15:
        return masked[:ID_REGION_DIGITS] + "*" * 9
    if len(masked) == 11:
        return masked[:PHONE_PREFIX_DIGITS] + "*" * 8
    return "*" * len(masked)


def mask_text(text: str) -> str:
    """Mask every ID-number-like and phone-like run of digits in free text."""
    if not text:
        return text
    text = _ID_NUMBER.sub(lambda m: mask_id_number(m.group(0)), text)
    text = _OLD_ID_NUMBER.sub(lambda m: mask_id_number(m.group(0)), text)
    return _PHONE.sub(lambda m: mask_phone(m.group(1) + m.group(2) + m.group(3)), text)


MASKED_FIELDS = frozenset({"id_number_masked", "id_masked", "phone_masked"})


def scrub_stored_payload(value):
    """A stored event body or reply written before today's masked forms, as it would be written
    now: masked numbers in today's form, a birth date cut to its year (`birth_date` becomes
    `birth_year`). What migrations apply to outboxes and stored replies."""
    if isinstance(value, list):
        return [scrub_stored_payload(item) for item in value]
    if not isinstance(value, dict):
        return value
    scrubbed = {}
    for name, item in value.items():
        if name == "birth_date":
            scrubbed["birth_year"] = int(str(item)[:4]) if item else None
        elif name in MASKED_FIELDS and isinstance(item, str):
            scrubbed[name] = remask(item)
        else:
            scrubbed[name] = scrub_stored_payload(item)
    return scrubbed
