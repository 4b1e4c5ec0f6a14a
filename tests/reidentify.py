"""The attacker's side of the masked forms (docs/access.md, sanbao_common.privacy).

Someone who sees a masked record also sees the person's sex, birth year, village and name; the
village gives away the ID number's region code and the phone's HLR block (digits 4 to 7). Asking
again later adds nothing as long as nothing dated is ever shown (no birth date, no age: the
scanner below reports those), because the masked forms and the birth year never change. So the
question is how many real numbers fit all that:

- `id_candidates`: valid 18-character resident ID numbers (GB 11643: a region code, a real birth
  date in the known year, a sequence number whose parity is the sex, the ISO 7064 MOD 11-2 check
  character) that agree with every character the masked form shows;
- `phone_candidates`: mainland mobiles (1[3-9]x, a 4-digit HLR block, 4 subscriber digits) that
  agree with it, the HLR block known to the attacker in the worst case.

Both must leave at least MIN_CANDIDATES. `findings` scans text or records (event bodies, replies,
rows, log lines) for anything that gives more away: a full number, a birth date, a masked token
that leaves too few candidates, or a field that carries a birth date or an age.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

MIN_CANDIDATES = 10_000

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"  # the check character for each weighted sum mod 11

# The candidate regions of a hidden region code: Honghe prefecture's counties, and county-level
# codes elsewhere in Yunnan that people born outside the prefecture carry.
HONGHE_REGIONS = (
    "532501", "532502", "532503", "532504", "532523", "532524", "532525", "532527", "532528",
    "532529", "532530", "532531", "532532",
)  # fmt: skip
YUNNAN_REGIONS = (
    "530102", "530103", "530111", "530402", "530602", "532301", "532601", "532801", "533102",
)  # fmt: skip
REGIONS = HONGHE_REGIONS + YUNNAN_REGIONS


def _fits(shown: str, value: str) -> bool:
    """Whether `value` agrees with every character `shown` does not hide with `*`."""
    return all(s in ("*", v) for s, v in zip(shown, value, strict=True))


def _weighted(digits: str, weights) -> int:
    return sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11


@cache
def _date_residues(shown: str, year: int) -> tuple[int, ...]:
    """How many real dates of `year` (none after today) fit `shown` (8 characters), by their
    share of the weighted sum mod 11."""
    counts = [0] * 11
    day, last = date(year, 1, 1), min(date(year, 12, 31), date.today())
    while day <= last:
        text = f"{day:%Y%m%d}"
        if _fits(shown, text):
            counts[_weighted(text, ID_WEIGHTS[6:14])] += 1
        day += timedelta(days=1)
    return tuple(counts)


@cache
def _sequence_residues(shown: str, sex: str) -> tuple[int, ...]:
    """The same for the 1000 sequence numbers: odd for men, even for women."""
    counts = [0] * 11
    for number in range(1 if sex == "male" else 0, 1000, 2):
        text = f"{number:03d}"
        if _fits(shown, text):
            counts[_weighted(text, ID_WEIGHTS[14:17])] += 1
    return tuple(counts)


def id_candidate_counts(masked: str, *, birth_year: int, sex: str, regions) -> dict[str, int]:
    """How many valid ID numbers fit the first 17 characters of `masked` (the 18th is ignored),
    by their check character. Dates and sequence numbers are counted apart, each by its share of
    the weighted sum mod 11, and the shares combined: no number is built."""
    masked = masked.strip().upper()
    if len(masked) != 18:
        raise ValueError(f"an 18-character masked ID number, not {masked!r}")
    if sex not in ("male", "female"):
        raise ValueError(f"sex must be 'male' or 'female', not {sex!r}")
    by_region = [0] * 11
    for region in set(regions):
        if _fits(masked[:6], region):
            by_region[_weighted(region, ID_WEIGHTS[:6])] += 1
    dates = _date_residues(masked[6:14], birth_year)
    sequences = _sequence_residues(masked[14:17], sex)
    born = [0] * 11  # date and sequence number together
    for b, dates_here in enumerate(dates):
        for c, sequences_here in enumerate(sequences):
            born[(b + c) % 11] += dates_here * sequences_here
    totals = [0] * 11
    for a, regions_here in enumerate(by_region):
        for bc, born_here in enumerate(born):
            totals[(a + bc) % 11] += regions_here * born_here
    return {ID_CHECK[residue]: total for residue, total in enumerate(totals)}


def id_candidates(masked: str, *, birth_year: int, sex: str, regions=REGIONS) -> int:
    """How many valid ID numbers fit every visible character of `masked`, with a region code in
    `regions` (a visible region code narrows them), a real birth date in `birth_year` and a
    sequence number of `sex`. Takes any masked form: '532501***********3', '532501********0013'."""
    counts = id_candidate_counts(masked, birth_year=birth_year, sex=sex, regions=regions)
    check = masked.strip().upper()[17]
    return sum(total for char, total in counts.items() if check in ("*", char))


def phone_candidates(masked: str, *, hlr_known: str | None = None) -> int:
    """How many mainland mobiles (1, then 3-9, then 9 digits) fit every visible character of
    `masked`; `hlr_known`, the true number's digits 4 to 7, is what the village gives away."""
    masked = masked.strip()
    if len(masked) != 11:
        raise ValueError(f"an 11-character masked phone, not {masked!r}")
    options = ["1", "3456789"] + ["0123456789"] * 9
    if hlr_known is not None:
        options[3:7] = list(hlr_known)
    total = 1
    for shown, allowed in zip(masked, options, strict=True):
        total *= sum(shown in ("*", digit) for digit in allowed)
    return total


# -- what must never be seen ----------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    kind: str  # id_number | phone | birth_date | masked_id | masked_phone | dated_field
    where: str  # the source and the field (or line)
    detail: str

    def __str__(self) -> str:
        return f"[{self.kind}] {self.where}: {self.detail}"


@dataclass(frozen=True)
class Person:
    name: str
    id_number: str  # as the roster had it, upper case
    phone: str | None
    born: date | None  # None where the roster's ID number holds no real date
    sex: str

    @property
    def label(self) -> str:
        return f"{self.name} {self.id_number}"


class People:
    """The ground truth: the people of a generated roster (its refused rows too, since their
    numbers reached the system in the uploaded file)."""

    def __init__(self, rows):
        self.people: list[Person] = []
        for row in rows:
            number = row["id_number"].strip().upper()
            try:
                born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
            except ValueError:
                born = None
            sex = "male" if int(number[16]) % 2 else "female"
            self.people.append(Person(row.get("name", ""), number, row.get("phone"), born, sex))
        self.by_id17 = {p.id_number[:17]: p for p in self.people}  # 17 digits make the 18th
        self.by_phone = {p.phone: p for p in self.people if p.phone}
        self.phone_lengths = {len(phone) for phone in self.by_phone}
        self.by_birth: dict[date, list[Person]] = defaultdict(list)
        for p in self.people:
            if p.born:
                self.by_birth[p.born].append(p)


_RUN = re.compile(r"[0-9Xx]+")
_DIGIT_SEPARATOR = re.compile(r"(?<=\d)[ \-](?=\d)")  # 137 6934 7503, 137-6934-7503
_MASKED = re.compile(r"(?<![0-9A-Za-z*])[0-9Xx*]*\*[0-9Xx*]*(?![0-9A-Za-z*])")
_DATES = (
    re.compile(r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)"),
    re.compile(r"(?<!\d)(\d{4})(\d{2})(\d{2})(?!\d)"),
    re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日"),
)
# Field names that carry a birth date or an age (birth_year is allowed: it is in the model).
_DATED_WORDS = {"age", "ages", "birthday", "dob", "birthdate", "born"}
_DATED_TEXT = ("birth_date", "birthdate", "date_of_birth", "出生日期", "出生年月", "生日", "年龄")


def dated_field(name: str) -> bool:
    """Whether a field named `name` would carry a birth date or an age."""
    words = re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()
    return any(t in words for t in _DATED_TEXT) or bool(
        _DATED_WORDS & set(re.split(r"[^a-z0-9]+", words))
    )


class Scanner:
    """`scan(value, where)` returns what `value` gives away about `people`; masked tokens are
    judged once each."""

    def __init__(self, people: People, regions=REGIONS):
        self.people = people
        self.regions = tuple(regions)
        self._verdicts: dict[str, list[tuple[str, str]]] = {}

    def scan(self, value, where: str) -> list[Finding]:
        found: list[Finding] = []
        self._walk(value, where, found)
        return found

    def _walk(self, value, where: str, found: list[Finding]) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if dated_field(str(key)):
                    found.append(Finding("dated_field", f"{where}.{key}", f"value {item!r}"))
                self._walk(item, f"{where}.{key}", found)
        elif isinstance(value, list | tuple):
            for index, item in enumerate(value):
                self._walk(item, f"{where}[{index}]", found)
        elif isinstance(value, bytes | bytearray | memoryview):
            self._walk(bytes_text(bytes(value)), where, found)
        elif isinstance(value, str):
            stripped = value.strip()
            if stripped[:1] in ("{", "[") and stripped[-1:] in ("}", "]"):
                try:
                    self._walk(json.loads(stripped), where, found)
                    return
                except ValueError:
                    pass
            found.extend(self.text(value, where))
        elif value is not None:
            found.extend(self.text(str(value), where))

    def text(self, text: str, where: str) -> list[Finding]:
        found = []
        for variant in {text, _DIGIT_SEPARATOR.sub("", text)}:
            for run in _RUN.findall(variant):
                found += self._numbers(run.upper(), where)
        for pattern in _DATES:
            for match in pattern.finditer(text):
                try:
                    day = date(*map(int, match.groups()))
                except ValueError:
                    continue
                for person in self.people.by_birth.get(day, ()):
                    found.append(
                        Finding("birth_date", where, f"{match.group(0)!r}: {person.label}")
                    )
        for match in _MASKED.finditer(text):
            token = match.group(0)
            for kind, problem in self._masked_verdict(token):
                found.append(Finding(kind, where, f"{token!r}: {problem}"))
        return sorted(set(found), key=str)

    def _numbers(self, run: str, where: str) -> list[Finding]:
        found = []
        for start in range(len(run) - 16):
            person = self.people.by_id17.get(run[start : start + 17])
            if person:
                found.append(Finding("id_number", where, f"{run!r} holds {person.label}"))
        for length in self.people.phone_lengths:
            for start in range(len(run) - length + 1):
                person = self.people.by_phone.get(run[start : start + length])
                if person:
                    found.append(
                        Finding("phone", where, f"{run!r} holds {person.phone} ({person.label})")
                    )
        return found

    def _masked_verdict(self, token: str) -> list[tuple[str, str]]:
        """What a masked-looking token leaves of each person it fits, where that is too little.
        A token of another length is read as the start of an ID number and of a phone."""
        if token in self._verdicts:
            return self._verdicts[token]
        problems = []
        shown = token.upper()
        if any(c.isdigit() for c in shown):
            if len(shown) <= 18:
                problems += self._masked_id(shown.ljust(18, "*"))
            if len(shown) <= 11:
                problems += self._masked_phone(shown.ljust(11, "*"))
        self._verdicts[token] = problems
        return problems

    def _masked_id(self, shown: str) -> list[tuple[str, str]]:
        problems = []
        for person in self.people.people:
            if person.born is None or not _fits(shown, person.id_number):
                continue
            regions = {*self.regions, person.id_number[:6]}
            left = id_candidates(
                shown, birth_year=person.born.year, sex=person.sex, regions=regions
            )
            if left < MIN_CANDIDATES:
                problems.append(("masked_id", f"leaves {left} ID numbers for {person.label}"))
        return problems

    def _masked_phone(self, shown: str) -> list[tuple[str, str]]:
        problems = []
        for person in self.people.people:
            if not person.phone or len(person.phone) != 11 or not _fits(shown, person.phone):
                continue
            left = phone_candidates(shown, hlr_known=person.phone[3:7])
            if left < MIN_CANDIDATES:
                problems.append(
                    ("masked_phone", f"leaves {left} phones for {person.phone} ({person.label})")
                )
        return problems


def findings(text_or_record, people, where: str = "") -> list[Finding]:
    """Everything `text_or_record` (a string, bytes, or a dict/list of them) gives away about
    `people` (a People, or the roster rows): a full ID number (its first 17 characters) or
    phone, a birth date, a masked token that leaves fewer than MIN_CANDIDATES numbers, a field
    that carries a birth date or an age."""
    if not isinstance(people, People):
        people = People(people)
    return Scanner(people).scan(text_or_record, where)


def bytes_text(content: bytes) -> str:
    """A stored file as text: every cell of a workbook, or the decoded bytes."""
    if content[:2] == b"PK":
        import io

        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(content), read_only=True)
        return "\n".join(
            "\t".join("" if cell is None else str(cell) for cell in row)
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
        )
    return content.decode("utf-8", errors="replace")
