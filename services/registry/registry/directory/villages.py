"""The county's list of places by name: its townships (乡镇, 街道) and their villages (行政村,
社区), each with its code, its name and the other names people write for it (aliases). Pure
Python: how names are compared, and what a change to the list must keep true.

Names are compared folded: NFKC (full-width letters and digits, compatibility characters) and no
whitespace, so "大 寨" is "大寨". A name also matches without its administrative suffix: "大寨",
"大寨村" and "大寨村委会" are one village's (`base`), which is how a roster's village column is
read (registry.people.villages). Within a township no two active villages may share a folded name
or alias, and no two townships of the county may share one: the list itself is never ambiguous
where it is exact. Two villages whose names differ only by suffix (大寨村, 大寨社区) may both be
listed; a roster that writes just 大寨 is then asked which one.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from sanbao_common.validators import InvalidCode, parse_division_code

# Longest first: 村民委员会 before 村, 社区居委会 before 居委会 and 社区.
VILLAGE_SUFFIXES = ("村民委员会", "居民委员会", "社区居委会", "村委会", "居委会", "社区", "村")
TOWNSHIP_SUFFIXES = ("街道办事处", "街道办", "办事处", "街道", "镇", "乡")
MAX_NAME = 50
MAX_ALIASES = 10
_SPACE = re.compile(r"\s+")
_ALIAS_SPLIT = re.compile(r"[；;、，,|/]+")


def fold(text: str) -> str:
    """A name as compared: NFKC, without whitespace."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", str(text or "")))


def base(folded: str, suffixes: tuple[str, ...]) -> str:
    """A folded name without its administrative suffixes ("新村村委会" -> "新"), never empty."""
    while True:
        for suffix in suffixes:
            if folded.endswith(suffix) and len(folded) > len(suffix):
                folded = folded[: -len(suffix)]
                break
        else:
            return folded


@dataclass(frozen=True)
class Township:
    code: str  # 9 digits
    name: str
    aliases: tuple[str, ...]
    version: int
    changed_at: datetime
    changed_by: str

    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


@dataclass(frozen=True)
class Village:
    code: str  # 12 digits
    township_code: str  # the code's first 9
    name: str
    aliases: tuple[str, ...]
    active: bool
    version: int
    changed_at: datetime
    changed_by: str

    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


def exact_keys(place) -> frozenset[str]:
    return frozenset(fold(name) for name in place.names())


def base_keys(place, suffixes: tuple[str, ...]) -> frozenset[str]:
    return frozenset(base(fold(name), suffixes) for name in place.names())


def township_matches(township: Township, text: str) -> bool:
    """Whether `text` names this township (its name or an alias, with or without 镇/乡/街道)."""
    folded = fold(text)
    return folded in exact_keys(township) or base(folded, TOWNSHIP_SUFFIXES) in base_keys(
        township, TOWNSHIP_SUFFIXES
    )


# -- a change to the list ------------------------------------------------------------------------


@dataclass
class Plan:
    """What an import changes: (kind, action, the record after), and what is wrong with it, each
    (Chinese, English)."""

    changes: list[tuple[str, str, Township | Village]]
    problems: list[tuple[str, str]]
    unchanged: dict[str, int]


def _name(text, what_zh: str, what_en: str, problems: list) -> str | None:
    name = " ".join(str(text or "").split())
    if not fold(name) or len(name) > MAX_NAME:
        problems.append(
            (f"{what_zh}的名称应为 1 至 {MAX_NAME} 个字", f"{what_en}: a name of 1 to {MAX_NAME}")
        )
        return None
    return name


def _aliases(value, name: str, what_zh: str, what_en: str, problems: list) -> tuple[str, ...]:
    """A list, or one text separated by ；;、, |/: the name itself and repeats dropped."""
    items = _ALIAS_SPLIT.split(value) if isinstance(value, str) else list(value or ())
    seen, aliases = {fold(name)}, []
    for item in items:
        alias = " ".join(str(item or "").split())
        if not fold(alias) or fold(alias) in seen:
            continue
        if len(alias) > MAX_NAME:
            problems.append((f"{what_zh}的别名过长：{alias}", f"{what_en}: alias too long"))
            continue
        seen.add(fold(alias))
        aliases.append(alias)
    if len(aliases) > MAX_ALIASES:
        problems.append(
            (f"{what_zh}最多 {MAX_ALIASES} 个别名", f"{what_en}: at most {MAX_ALIASES} aliases")
        )
    return tuple(aliases[:MAX_ALIASES])


def _code(text, level: str, county: str, problems: list) -> str | None:
    try:
        division = parse_division_code(str(text or ""), level=level)
    except InvalidCode as exc:
        what = {"township": "乡镇代码", "village": "村代码"}[level]
        problems.append(
            (f"{what} {text}：{exc.message_zh}", f"{level} code {text}: {exc.message_en}")
        )
        return None
    if division.county != county:
        problems.append(
            (f"{division.code} 不属于本县（{county}）", f"{division.code} is not in {county}")
        )
        return None
    return division.code


def plan_import(stored_townships, stored_villages, townships_in, villages_in, county, now, actor):
    """The changes `townships_in` and `villages_in` make to the stored list (dicts code ->
    record), and every problem with them. A village names its township by name (`township`):
    that name adds a township not listed yet, and must be the listed one's otherwise."""
    planner = _Planner(stored_townships, stored_villages, county, now, actor)
    for entry in townships_in:
        planner.township(entry)
    for entry in villages_in:
        planner.village(entry)
    return planner.plan()


class _Planner:
    def __init__(self, stored_townships, stored_villages, county, now, actor):
        self.stored = {**stored_townships, **stored_villages}
        self.towns, self.places = dict(stored_townships), dict(stored_villages)
        self.county, self.now, self.actor = county, now, actor
        self.problems: list[tuple[str, str]] = []
        self.actions: dict[str, str] = {}  # code -> added | changed | retired | restored
        self.seen: set[str] = set()
        self.unchanged = {"townships": 0, "villages": 0}

    def township(self, entry: dict) -> None:
        code = _code(entry.get("code"), "township", self.county, self.problems)
        shown = code or str(entry.get("code") or "")
        name = _name(entry.get("name"), f"乡镇 {shown}", f"township {shown}", self.problems)
        if code is None or name is None or self._twice(code):
            return
        aliases = _aliases(
            entry.get("aliases"), name, f"乡镇 {code}", f"township {code}", self.problems
        )
        self._put(Township(code, name, aliases, self._version(code), self.now, self.actor))

    def village(self, entry: dict) -> None:
        code = _code(entry.get("code"), "village", self.county, self.problems)
        shown = code or str(entry.get("code") or "")
        name = _name(entry.get("name"), f"村 {shown}", f"village {shown}", self.problems)
        if code is None or name is None or self._twice(code):
            return
        if not self._township_of(code, entry.get("township")):
            return
        where = (f"村 {code}", f"village {code}")
        aliases = _aliases(entry.get("aliases"), name, *where, self.problems)
        active = entry.get("active", True) is not False
        version = self._version(code)
        self._put(Village(code, code[:9], name, aliases, active, version, self.now, self.actor))

    def plan(self) -> Plan:
        self.problems.extend(_collisions(self.towns, self.places, set(self.actions)))
        changes = [
            (
                "township" if len(code) == 9 else "village",
                action,
                self.towns[code] if len(code) == 9 else self.places[code],
            )
            for code, action in self.actions.items()
        ]
        return Plan(changes, self.problems, self.unchanged)

    def _version(self, code: str) -> int:
        before = self.stored.get(code)
        return before.version + 1 if before else 1

    def _twice(self, code: str) -> bool:
        if code in self.seen:
            self.problems.append((f"{code} 出现了两次", f"{code} is listed twice"))
            return True
        self.seen.add(code)
        return False

    def _put(self, record) -> None:
        before = self.stored.get(record.code)
        kind = "townships" if isinstance(record, Township) else "villages"
        if before is not None and _same(before, record):
            self.unchanged[kind] += 1
            return
        (self.towns if kind == "townships" else self.places)[record.code] = record
        self.actions.setdefault(record.code, _action(before, getattr(record, "active", True)))

    def _township_of(self, code: str, named) -> bool:
        """Whether the village's township is listed (or named here, and so added)."""
        township_code = code[:9]
        township = self.towns.get(township_code)
        if named and township is None:
            where = (f"乡镇 {township_code}", f"township {township_code}")
            name = _name(named, *where, self.problems)
            if name is not None:
                self._put(Township(township_code, name, (), 1, self.now, self.actor))
            return name is not None
        if named and not township_matches(township, named):
            self.problems.append(
                (
                    f"村 {code}：乡镇 {township_code} 是“{township.name}”，而非“{named}”",
                    f"village {code}: township {township_code} is {township.name}, not {named}",
                )
            )
            return False
        if township is None:
            self.problems.append(
                (
                    f"村 {code}：乡镇 {township_code} 不在名单中，请填写乡镇名称",
                    f"village {code}: township {township_code} is not listed; give its name",
                )
            )
            return False
        return True


def _action(before, active: bool) -> str:
    if before is None:
        return "added"
    was_active = getattr(before, "active", True)
    if was_active and not active:
        return "retired"
    if not was_active and active:
        return "restored"
    return "changed"


def _same(stored, record) -> bool:
    fields = ("name", "aliases", "active")
    return all(getattr(stored, f, None) == getattr(record, f, None) for f in fields)


def _collisions(towns: dict, places: dict, changed: set) -> list[tuple[str, str]]:
    """Names or aliases two townships of the county, or two active villages of one township,
    share, where one of them is changed."""
    owners: dict[tuple[str, str], set[str]] = {}
    for township in towns.values():
        for key in exact_keys(township):
            owners.setdefault(("", key), set()).add(township.code)
    for village in places.values():
        if village.active:
            for key in exact_keys(village):
                owners.setdefault((village.township_code, key), set()).add(village.code)
    problems = []
    for (township, key), codes in sorted(owners.items()):
        if len(codes) > 1 and codes & changed:
            listed = ", ".join(sorted(codes))
            if township:
                zh = f"乡镇 {township} 内的名称或别名“{key}”重复：{listed}"
                en = f"name or alias {key} is shared in township {township}: {listed}"
            else:
                zh = f"乡镇名称或别名“{key}”重复：{listed}"
                en = f"township name or alias {key} is shared: {listed}"
            problems.append((zh, en))
    return problems
