"""A demonstration county's list of townships and villages, by name: the places
`SampleData.village_code` draws from (townships 001-015, villages 201-220), each with a name of
the kind a county's list holds (大寨村委会, 小塘社区, 第三村委会) and a few other names people
write for it.

One source for the demo stack (`make run` seeds it), the tests' databases and the benchmarks.
Made up, like the rest of the sample data: any likeness to a real county's list is chance. A few
names are repeated on purpose in different townships (大寨村委会 in 卡房镇 and 鸡街镇, 新寨村委会
in three, 第一/第二/第三村委会 in 新街镇 and 石榴坝乡), as in real lists, so that a name alone does
not always tell the village.
"""

from __future__ import annotations

from sanbao_common.validators import parse_division_code

# Township number -> (name, other names people write for it).
TOWNSHIPS: dict[int, tuple[str, tuple[str, ...]]] = {
    1: ("卡房镇", ("卡房乡",)),  # its name before it became a town
    2: ("鸡街镇", ()),
    3: ("大屯镇", ()),
    4: ("锡城镇", ()),
    5: ("老厂镇", ()),
    6: ("沙甸街道", ("沙甸区", "沙甸街道办事处")),
    7: ("蔓耗镇", ()),
    8: ("贾沙乡", ()),
    9: ("保和乡", ()),
    10: ("乍甸镇", ()),
    11: ("新街镇", ()),
    12: ("石榴坝乡", ()),
    13: ("冲坡哨镇", ()),
    14: ("倘甸镇", ()),
    15: ("羊街乡", ()),
}
VILLAGE_NUMBERS = range(201, 221)

# A village's name is a first and a second character (大 + 寨): every pair is used once.
_FIRST = "大小新老上下中龙石白黑红水马羊松竹梨凤金"
_SECOND = "寨街坝冲坡塘田山箐河沟营屯哨庄"
_COMMUNITIES = frozenset({210, 220})  # urban ones: 社区, not 村委会
# (township, village) -> (name, aliases), instead of the generated ones.
_NAMED: dict[tuple[int, int], tuple[str, tuple[str, ...]]] = {
    (1, 201): ("大寨村委会", ("大寨村", "大寨子")),
    (2, 205): ("大寨村委会", ("大寨村",)),
    (1, 202): ("新寨村委会", ("新寨村",)),
    (3, 202): ("新寨村委会", ("新寨村",)),
    (11, 201): ("第一村委会", ("第一村", "一村")),
    (11, 202): ("第二村委会", ("第二村", "二村")),
    (11, 203): ("第三村委会", ("第三村", "三村")),
    (12, 201): ("第一村委会", ("第一村",)),
    (12, 202): ("第二村委会", ("第二村",)),
    (12, 203): ("第三村委会", ("第三村",)),
}


def _village(township: int, number: int) -> tuple[str, tuple[str, ...]]:
    if (township, number) in _NAMED:
        return _NAMED[(township, number)]
    index = number - VILLAGE_NUMBERS.start
    base = _FIRST[index] + _SECOND[(township - 1 + index) % len(_SECOND)]
    if number in _COMMUNITIES:
        return f"{base}社区", (f"{base}社区居委会",)
    return f"{base}村委会", (f"{base}村",)


def sample_townships(county: str = "532501") -> list[dict]:
    """[{"code", "name", "aliases"}] of the county's 15 townships."""
    county = parse_division_code(county, level="county").code
    return [
        {"code": f"{county}{number:03d}", "name": name, "aliases": list(aliases)}
        for number, (name, aliases) in TOWNSHIPS.items()
    ]


def sample_villages(county: str = "532501") -> list[dict]:
    """[{"code", "township", "name", "aliases"}] of the county's 300 villages, in code order;
    `township` is the township's name."""
    county = parse_division_code(county, level="county").code
    villages = []
    for township, (township_name, _) in TOWNSHIPS.items():
        for number in VILLAGE_NUMBERS:
            name, aliases = _village(township, number)
            villages.append(
                {
                    "code": f"{county}{township:03d}{number:03d}",
                    "township": township_name,
                    "name": name,
                    "aliases": list(aliases),
                }
            )
    return villages


def sample_village_name(code: str) -> str:
    """The name the sample list gives a village code (as `SampleData.village_code` draws)."""
    division = parse_division_code(code, level="village")
    return _village(int(division.code[6:9]), int(division.code[9:]))[0]
