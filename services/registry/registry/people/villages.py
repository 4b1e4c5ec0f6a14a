"""The village book: the county's village list as one roster import or registration reads it,
to turn what a row says about its village into a village code.

- A code (a `village_code` cell, or 12 digits in the village column) must be one of the list's
  active villages. A code anywhere in the county is accepted here; whether it is in the caller's
  area is the registration's check (`OUT_OF_SCOPE`), as before the list existed.
- A name resolves only among the villages of the importing user's area (all the county's for a
  county-level user) and, when the row names one (its township column, or the import's township
  option), of that township: folded (registry.directory.villages.fold), exactly as a name or an
  alias first, then without suffixes (大寨 = 大寨村 = 大寨村委会). An unknown name is refused with
  the nearest names of the area; one that fits several villages with each of them (township,
  name, code). A name of a village outside the area gets the answer an unknown name gets: the
  book never looks outside the area for a name, so the answer cannot tell the two apart.
"""

from __future__ import annotations

import copy
import difflib
import functools
import re
from collections import OrderedDict
from collections.abc import Iterable

from registry.directory.repository import DirectoryRepository
from registry.directory.villages import (
    TOWNSHIP_SUFFIXES,
    VILLAGE_SUFFIXES,
    Township,
    Village,
    base,
    base_keys,
    exact_keys,
    fold,
)
from registry.people.domain import RowProblem
from sanbao_common.validators import InvalidCode, parse_division_code

CODE = re.compile(r"[0-9]{12}", re.ASCII)
TOWNSHIP_CODE = re.compile(r"[0-9]{9}", re.ASCII)
LIST_HINT = ("村名单：sanbao directory villages list", "the list: sanbao directory villages list")
MAX_SUGGESTIONS = 5


def _named(village: Village, township: Township | None, zh: bool) -> str:
    where = f"{township.name} " if township else ""
    code = f"（{village.code}）" if zh else f" ({village.code})"
    return f"{where}{village.name}{code}"


class _Listing:
    """One version of the county's list, shared by every book loaded while it is current."""

    def __init__(self, townships: Iterable[Township], villages: Iterable[Village]):
        self.townships = {t.code: t for t in townships}
        self.villages = {v.code: v for v in villages}

    @functools.cached_property
    def keys(self) -> dict[str, tuple[frozenset[str], frozenset[str]]]:
        """code -> (folded names, names without suffixes); worked out on the first name looked
        up (registrations by code need none)."""
        return {
            v.code: (exact_keys(v), base_keys(v, VILLAGE_SUFFIXES)) for v in self.villages.values()
        }


# (database, the list's stamp) -> its listing: reading 300 villages row by row costs ~10 ms, a
# registration's own work a few; the stamp (counts and version sums) moves with every change.
_LISTINGS: OrderedDict[tuple, _Listing] = OrderedDict()
MAX_LISTINGS = 8


class VillageBook:
    """The list as of one load; `area` (a division code, or a village group's code) bounds names.
    `kept`: codes accepted even when retired (a person's own village, on an update)."""

    def __init__(
        self,
        townships: Iterable[Township] = (),
        villages: Iterable[Village] = (),
        area: str | None = None,
        kept: frozenset[str] = frozenset(),
        listing: _Listing | None = None,
    ):
        self._listing = listing or _Listing(townships, villages)
        self.area = area.split("-")[0] if area else None
        self.townships, self.villages = self._listing.townships, self._listing.villages
        self.kept = kept
        self._local = [v for v in self.villages.values() if v.active and self._covers(v.code)]

    @property
    def _keys(self) -> dict[str, tuple[frozenset[str], frozenset[str]]]:
        return self._listing.keys

    @classmethod
    def load(cls, connection, area: str | None) -> VillageBook:
        """The list as `connection` sees it now. The stamp is read before the rows, so a listing
        may be kept under a stamp older than its content (a change committed in between), never
        under a newer one: no change is missed, since the next load reads the newer stamp and
        the rows again."""
        repository = DirectoryRepository(connection)
        key = (str(connection.engine.url), repository.village_list_stamp())
        listing = _LISTINGS.get(key)
        if listing is None:
            listing = _Listing(repository.townships().values(), repository.villages().values())
            _LISTINGS[key] = listing
            while len(_LISTINGS) > MAX_LISTINGS:
                _LISTINGS.popitem(last=False)
        return cls(area=area, listing=listing)

    def keeping(self, code: str) -> VillageBook:
        """This book, also accepting `code` retired: the village a person is recorded in."""
        book = copy.copy(self)  # the indexes are shared: they never change
        book.kept = self.kept | {code}
        return book

    def _covers(self, code: str) -> bool:
        return self.area is None or code.startswith(self.area)

    def _township_in_area(self, township: Township) -> bool:
        return (
            self.area is None
            or township.code.startswith(self.area)
            or (self.area.startswith(township.code))
        )

    def _where(self) -> tuple[str, str]:
        if self.area is None:
            return "本县", "in the county"
        return "您的管辖范围内", "in your area"

    # -- codes ------------------------------------------------------------------------------------

    def code(self, code: str, column: str = "village_code") -> Village:
        """The listed village of a well-formed code of the county, or RowProblem."""
        village = self.villages.get(code)
        if village is None:
            raise RowProblem(
                column,
                f"村代码 {code} 不在本县村名单中（{LIST_HINT[0]}）",
                f"village code {code} is not in the county's village list ({LIST_HINT[1]})",
            )
        if not village.active and code not in self.kept:
            raise RowProblem(
                column,
                f"村代码 {code}（{village.name}）已撤销，请填写现在的村",
                f"village {code} ({village.name}) is retired: give the village it is now part of",
            )
        return village

    # -- townships --------------------------------------------------------------------------------

    def township(self, text: str) -> Township:
        """The township of the area that `text` names (a code, its name or an alias, with or
        without 镇/乡/街道), or RowProblem("township")."""
        folded = fold(text)
        towns = [t for t in self.townships.values() if self._township_in_area(t)]
        if TOWNSHIP_CODE.fullmatch(folded):
            found = [t for t in towns if t.code == folded]
        else:
            found = [t for t in towns if folded in exact_keys(t)] or [
                t
                for t in towns
                if base(folded, TOWNSHIP_SUFFIXES) in base_keys(t, TOWNSHIP_SUFFIXES)
            ]
        if len(found) == 1:
            return found[0]
        where_zh, where_en = self._where()
        if found:
            names_zh = "、".join(f"{t.name}（{t.code}）" for t in found)
            names_en = ", ".join(f"{t.name} ({t.code})" for t in found)
            raise RowProblem(
                "township",
                f"乡镇“{text}”在{where_zh}对应多个乡镇：{names_zh}，请写全称或代码",
                f"township {text} fits several {where_en}: {names_en}; write it in full or give "
                "its code",
            )
        raise RowProblem(
            "township",
            f"{where_zh}没有名为“{text}”的乡镇（{LIST_HINT[0]}）",
            f"no township named {text} {where_en} ({LIST_HINT[1]})",
        )

    # -- names ------------------------------------------------------------------------------------

    def resolve(self, text: str, township: Township | None, column: str = "village") -> str:
        """The code of the village `text` names (a name, an alias, or a 12-digit code), within
        the area and `township`; or RowProblem(column)."""
        folded = fold(text)
        if CODE.fullmatch(folded):
            return self.code(folded, column).code
        pool = [v for v in self._local if township is None or v.township_code == township.code]
        found = self._matches(folded, pool)
        if len(found) == 1:
            return found[0].code
        if found:
            raise self._ambiguous(text, township, found, column)
        raise self._unknown(text, folded, township, pool, column)

    def names(self, village: Village, text: str) -> bool:
        """Whether `text` is a name of `village` (exactly, or without suffixes)."""
        folded = fold(text)
        return folded in exact_keys(village) or (
            base(folded, VILLAGE_SUFFIXES) in base_keys(village, VILLAGE_SUFFIXES)
        )

    def _matches(self, folded: str, pool: list[Village]) -> list[Village]:
        exact = [v for v in pool if folded in self._keys[v.code][0]]
        if exact:
            return exact
        stripped = base(folded, VILLAGE_SUFFIXES)
        return [v for v in pool if stripped in self._keys[v.code][1]]

    def _listed(self, villages: list[Village], zh: bool) -> str:
        return ("、" if zh else ", ").join(
            _named(v, self.townships.get(v.township_code), zh) for v in villages
        )

    def _ambiguous(self, text, township, found, column) -> RowProblem:
        where_zh = f"在{township.name}" if township else f"在{self._where()[0]}"
        where_en = f"in {township.name}" if township else self._where()[1]
        return RowProblem(
            column,
            f"村名“{text}”{where_zh}对应多个村：{self._listed(found, True)}；"
            "请填写乡镇（乡镇列，或导入时指定乡镇）或村代码",
            f"village name {text} fits several villages {where_en}: "
            f"{self._listed(found, False)}; give the township (a township column, or the "
            "import's township) or the village code",
        )

    def _unknown(self, text, folded, township, pool, column) -> RowProblem:
        where_zh, where_en = self._where()
        if township is not None:
            where_zh, where_en = f"{township.name}", f"in {township.name}"
        zh = f"{where_zh}没有名为“{text}”的村"
        en = f"no village named {text} {where_en}"
        elsewhere = self._matches(folded, self._local) if township is not None else []
        if elsewhere:  # in another township of the caller's own area
            zh += f"；您辖区内同名的村：{self._listed(elsewhere, True)}"
            en += f"; in your area: {self._listed(elsewhere, False)}"
        else:
            near = self._near(folded, pool)
            if near:
                zh += f"；名称相近的村：{self._listed(near, True)}"
                en += f"; similar names: {self._listed(near, False)}"
        return RowProblem(column, f"{zh}（{LIST_HINT[0]}）", f"{en} ({LIST_HINT[1]})")

    def _near(self, folded: str, pool: list[Village]) -> list[Village]:
        by_key: dict[str, list[Village]] = {}
        for village in pool:
            for key in self._keys[village.code][1]:
                by_key.setdefault(key, []).append(village)
        stripped = base(folded, VILLAGE_SUFFIXES)
        close = difflib.get_close_matches(stripped, list(by_key), n=MAX_SUGGESTIONS, cutoff=0.5)
        near: dict[str, Village] = {}
        for key in close:
            for village in by_key[key]:
                near.setdefault(village.code, village)
        return list(near.values())[:MAX_SUGGESTIONS]


# -- a row's village -------------------------------------------------------------------------------


def village_code(
    county: str, book: VillageBook | None, code_text: str, name_text: str, township_text: str
) -> str:
    """The village code a row's `village_code`, `village` and `township` cells give (the
    township: the row's, else the import's), or RowProblem. Without a book (unit tests,
    benchmarks) any well-formed code of the county passes and names are refused."""
    if not code_text and not name_text:
        raise RowProblem(
            "village_code", "村代码或村名不能为空", "the village (its code or name) is missing"
        )
    township = book.township(township_text) if book and township_text else None
    if code_text:
        code = _code(county, book, code_text, "village_code")
    elif CODE.fullmatch(fold(name_text)):
        code = _code(county, book, name_text, "village")
    elif book is None:
        raise RowProblem("village", "请填写12位村代码", "give the 12-digit village code")
    else:
        code = book.resolve(name_text, township)
    if book is None:
        return code
    village = book.code(code)
    if code_text and name_text and not book.names(village, name_text):
        raise RowProblem(
            "village",
            f"村名“{name_text}”与村代码 {code}（{village.name}）不符",
            f"village name {name_text} is not that of code {code} ({village.name})",
        )
    if township is not None and village.township_code != township.code:
        raise RowProblem(
            "township",
            f"村 {village.name}（{code}）不属于{township.name}",
            f"village {village.name} ({code}) is not in {township.name}",
        )
    return code


def _code(county: str, book: VillageBook | None, text: str, column: str) -> str:
    """A well-formed village code of the county, in the list when there is one."""
    try:
        division = parse_division_code(text, level="village")
    except InvalidCode as exc:
        raise RowProblem(column, exc.message_zh, exc.message_en) from None
    if division.county != county:
        raise RowProblem(
            column,
            f"村代码 {division.code} 不属于本县（{county}）",
            f"village {division.code} is not in county {county}",
        )
    if book is not None:
        book.code(division.code, column)
    return division.code
