"""The county's vocabularies of terms (`registry_contract.industries_and_skills`): industries
(GB/T 4754 sections, fixed, and the county's divisions under them) and skills. Pure Python: what
a change to a vocabulary must keep true, and how a word people wrote becomes a code.

A change is planned whole and applied only if nothing is wrong with it (`plan_vocabulary`):
- each code is one of its kind's (a section letter, a division of that letter's section, or a
  skill's slug) and listed once; an industry's parent, when given, is the section its code
  names; a section keeps its standard name and is never retired;
- a retired code keeps its meaning for ever: it cannot come back, or be retired, under another
  name (what it named then may still be in people's records and orders);
- no word (name or alias, compared by `term_key`) belongs to two active terms of a vocabulary,
  so that every word gives at most one code.

`Lexicon` turns a labourer's skills and intended industries into codes: a word that is an active
term's name or alias gives its code (an industry word naming a section, the section's letter);
any other word gives none and is kept as text, as before the vocabularies existed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from registry_contract.industries_and_skills import (
    INDUSTRY,
    INDUSTRY_SECTIONS,
    MAX_ALIASES,
    MAX_NAME,
    MAX_TERMS,
    SKILL,
    industry_section,
    term_key,
    valid_code,
)

KIND_ZH = {INDUSTRY: "行业", SKILL: "技能"}
_ALIAS_SPLIT = re.compile(r"[；;、，,|/]+")


@dataclass(frozen=True)
class Term:
    kind: str  # industry | skill
    code: str
    name: str
    parent: str | None  # an industry division's section letter
    aliases: tuple[str, ...]
    retired: bool
    version: int
    changed_at: datetime
    changed_by: str

    def words(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)

    def word_keys(self) -> frozenset[str]:
        return frozenset(term_key(word) for word in self.words()) - {""}

    def published(self) -> dict:
        """The term as `vocabulary_changed` carries it."""
        return {
            "code": self.code,
            "name": self.name,
            "parent": self.parent,
            "aliases": list(self.aliases),
            "retired": self.retired,
        }


class TermIndex:
    """One vocabulary's active words -> code."""

    def __init__(self, terms: Iterable[Term]):
        self.codes_by_key: dict[str, str] = {}
        for term in terms:
            if not term.retired:
                for key in term.word_keys():
                    self.codes_by_key.setdefault(key, term.code)

    def code(self, word) -> str | None:
        return self.codes_by_key.get(term_key(word))

    def codes(self, words: Iterable) -> list[str]:
        """The sorted codes of the words found (each once)."""
        return sorted({code for code in map(self.code, words) if code is not None})


@dataclass(frozen=True)
class Lexicon:
    """Both vocabularies, loaded once for a batch of labourers' events."""

    industries: TermIndex
    skills: TermIndex

    def skill_codes(self, skills: list) -> list[str]:
        """Codes of a person's skills (`[{"name": "电工", "level": ..., ...}]`)."""
        return self.skills.codes(skill["name"] for skill in skills)

    def industry_codes(self, texts: list) -> list[str]:
        return self.industries.codes(texts)


# -- a change to a vocabulary --------------------------------------------------------------------


@dataclass
class Plan:
    """What an import changes: (action, the term after), and what is wrong with it, each
    (Chinese, English)."""

    changes: list[tuple[str, Term]]
    problems: list[tuple[str, str]]
    unchanged: int


def plan_vocabulary(kind, stored: dict, entries: list, now: datetime, actor: str) -> Plan:
    """The changes `entries` (code, name, parent, aliases, retired) make to the `stored` terms
    (code -> Term) of a vocabulary, and every problem with them."""
    planner = _Planner(kind, stored, now, actor)
    for entry in entries:
        planner.entry(entry)
    return planner.plan()


class _Planner:
    def __init__(self, kind: str, stored: dict, now: datetime, actor: str):
        self.kind, self.stored, self.now, self.actor = kind, stored, now, actor
        self.after = dict(stored)
        self.changes: list[tuple[str, Term]] = []
        self.problems: list[tuple[str, str]] = []
        self.seen: set[str] = set()
        self.unchanged = 0

    def problem(self, code, zh: str, en: str) -> None:
        self.problems.append((f"{KIND_ZH[self.kind]} {code}：{zh}", f"{self.kind} {code}: {en}"))

    def entry(self, entry: dict) -> None:
        code = str(entry.get("code") or "").strip()
        if not valid_code(self.kind, code):
            self.problem(code or "（空）", _CODE_RULES_ZH[self.kind], _CODE_RULES_EN[self.kind])
            return
        if code in self.seen:
            self.problem(code, "出现了两次", "listed twice")
            return
        self.seen.add(code)
        name = " ".join(str(entry.get("name") or "").split())
        if not term_key(name) or len(name) > MAX_NAME:
            self.problem(code, f"名称应为 1 至 {MAX_NAME} 个字", f"a name of 1 to {MAX_NAME}")
            return
        parent = self._parent(code, entry.get("parent"))
        retired = entry.get("retired") is True
        if parent is False or not self._keeps_meaning(code, name, retired):
            return
        aliases = self._aliases(code, name, entry.get("aliases"))
        before = self.stored.get(code)
        term = Term(self.kind, code, name, parent, aliases, retired, 1, self.now, self.actor)
        if before is not None and _same(before, term):
            self.unchanged += 1
            return
        if before is not None:
            term = replace(term, version=before.version + 1)
        self.after[code] = term
        self.changes.append((_action(before, term), term))

    def plan(self) -> Plan:
        if len(self.after) > MAX_TERMS:
            self.problems.append(
                (
                    f"{KIND_ZH[self.kind]}最多 {MAX_TERMS} 个（含已停用的）",
                    f"a vocabulary holds at most {MAX_TERMS} terms, retired ones included",
                )
            )
        changed = {term.code for _, term in self.changes}
        self.problems.extend(_collisions(self.kind, self.after.values(), changed))
        return Plan(self.changes, self.problems, self.unchanged)

    def _parent(self, code: str, given):
        """The term's parent, or False when the entry's is wrong."""
        given = str(given).strip() if given not in (None, "") else None
        if self.kind == SKILL:
            if given is not None:
                self.problem(code, "技能没有上级", "a skill has no parent")
                return False
            return None
        if code in INDUSTRY_SECTIONS:
            if given is not None:
                self.problem(code, "门类没有上级", "a section has no parent")
                return False
            return None
        section = industry_section(code)
        if given is not None and given not in INDUSTRY_SECTIONS:
            self.problem(
                code,
                f"上级“{given}”不是国民经济行业门类（A–T）",
                f"parent {given} is not a section",
            )
            return False
        if given is not None and given != section:
            self.problem(
                code,
                f"属于门类 {section}，而非 {given}",
                f"belongs to section {section}, not {given}",
            )
            return False
        return section

    def _keeps_meaning(self, code: str, name: str, retired: bool) -> bool:
        if self.kind == INDUSTRY and code in INDUSTRY_SECTIONS:
            standard = INDUSTRY_SECTIONS[code]
            if term_key(name) != term_key(standard):
                self.problem(
                    code,
                    f"门类名称由 GB/T 4754-2017 规定为“{standard}”，不能改名（可添加别名）",
                    f"a section's name is the standard's, {standard}; give other words as aliases",
                )
                return False
            if retired:
                self.problem(code, "门类不能停用", "a section cannot be retired")
                return False
            return True
        before = self.stored.get(code)
        if before is None or term_key(before.name) == term_key(name):
            return True
        if before.retired:
            self.problem(
                code,
                f"已停用（原为“{before.name}”），停用的代码不能另作他用：请为“{name}”另设代码",
                f"was retired as {before.name}; a retired code never names anything else: "
                f"give {name} a new code",
            )
            return False
        if retired:
            self.problem(
                code,
                f"停用时应保留原名“{before.name}”",
                f"retire it under its name {before.name}",
            )
            return False
        return True

    def _aliases(self, code: str, name: str, value) -> tuple[str, ...]:
        """A list, or one text separated by ；;、, |/: the name itself and repeats dropped."""
        items = _ALIAS_SPLIT.split(value) if isinstance(value, str) else list(value or ())
        seen, aliases = {term_key(name)}, []
        for item in items:
            alias = " ".join(str(item or "").split())
            if not term_key(alias) or term_key(alias) in seen:
                continue
            if len(alias) > MAX_NAME:
                self.problem(code, f"别名过长：{alias}", f"alias too long: {alias}")
                continue
            seen.add(term_key(alias))
            aliases.append(alias)
        if len(aliases) > MAX_ALIASES:
            self.problem(code, f"最多 {MAX_ALIASES} 个别名", f"at most {MAX_ALIASES} aliases")
        return tuple(aliases[:MAX_ALIASES])


_CODE_RULES_ZH = {
    INDUSTRY: "代码应为门类字母（A–T），或门类字母加该门类下的两位大类代码（如 E47）",
    SKILL: "代码应为 2 至 32 位小写英文字母、数字或下划线，以字母开头（如 welder）",
}
_CODE_RULES_EN = {
    INDUSTRY: "a code is a section letter (A-T) or its letter and one of its two-digit "
    "divisions (E47)",
    SKILL: "a code is 2 to 32 lower-case letters, digits or _, starting with a letter (welder)",
}


def _same(stored: Term, term: Term) -> bool:
    fields = ("name", "parent", "aliases", "retired")
    return all(getattr(stored, f) == getattr(term, f) for f in fields)


def _action(before: Term | None, term: Term) -> str:
    if before is None:
        return "added"
    if term.retired and not before.retired:
        return "retired"
    if before.retired and not term.retired:
        return "restored"
    return "changed"


def _collisions(kind: str, terms: Iterable[Term], changed: set) -> list[tuple[str, str]]:
    """Words two active terms share, where one of them is changed."""
    owners: dict[str, list[Term]] = {}
    for term in terms:
        if not term.retired:
            for key in term.word_keys():
                owners.setdefault(key, []).append(term)
    problems = []
    for key, shared in sorted(owners.items()):
        codes = sorted(term.code for term in shared)
        if len(codes) > 1 and changed.intersection(codes):
            named = "、".join(f"{t.code}（{t.name}）" for t in sorted(shared, key=_by_code))
            listed = ", ".join(f"{t.code} ({t.name})" for t in sorted(shared, key=_by_code))
            problems.append(
                (
                    f"{KIND_ZH[kind]}名称或别名“{key}”同时指向 {named}",
                    f"{kind} name or alias {key} would name {listed}",
                )
            )
    return problems


def _by_code(term: Term) -> str:
    return term.code
