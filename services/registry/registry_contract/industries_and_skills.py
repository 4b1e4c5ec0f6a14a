"""The two vocabularies of terms registry keeps for the county, which orders and registry's four
clears share so that matching compares codes, not words: industries and skills.

- `industry`: the 20 sections (门类) of GB/T 4754-2017 国民经济行业分类, fixed here (code = the
  section's letter, name = the standard's), and under them the county's finer list of the
  standard's divisions (大类): code = the section's letter + the division's two digits (`E47`
  房屋建筑业), the division one of that section's (`SECTION_DIVISIONS`).
- `skill`: a list the county edits (code = a short ASCII slug, `welder`).

Each term has a name and the other names people write for it (aliases); a term is retired, never
deleted, and its code never names anything else. A word is looked up by `term_key`: NFKC, case
folded, without whitespace or punctuation (so 计算机、通信… and 计算机通信… are one key).

`DEFAULT_INDUSTRIES` and `DEFAULT_SKILLS` are what every county starts from (registry's migration
0020 and dispatch's 0010 seed them as version 1 of each vocabulary): frozen — a county changes
its lists by importing, and a change to the defaults would be a new migration.
"""

from __future__ import annotations

import re
import unicodedata

INDUSTRY = "industry"
SKILL = "skill"
VOCABULARY_KINDS: tuple[str, ...] = (INDUSTRY, SKILL)

# GB/T 4754-2017: section letter -> name.
INDUSTRY_SECTIONS: dict[str, str] = {
    "A": "农、林、牧、渔业", "B": "采矿业", "C": "制造业",
    "D": "电力、热力、燃气及水生产和供应业", "E": "建筑业", "F": "批发和零售业",
    "G": "交通运输、仓储和邮政业", "H": "住宿和餐饮业", "I": "信息传输、软件和信息技术服务业",
    "J": "金融业", "K": "房地产业", "L": "租赁和商务服务业", "M": "科学研究和技术服务业",
    "N": "水利、环境和公共设施管理业", "O": "居民服务、修理和其他服务业", "P": "教育",
    "Q": "卫生和社会工作", "R": "文化、体育和娱乐业", "S": "公共管理、社会保障和社会组织",
    "T": "国际组织",
}  # fmt: skip

# GB/T 4754-2017: section letter -> its divisions (大类), first and last two-digit code.
SECTION_DIVISIONS: dict[str, tuple[int, int]] = {
    "A": (1, 5), "B": (6, 12), "C": (13, 43), "D": (44, 46), "E": (47, 50), "F": (51, 52),
    "G": (53, 60), "H": (61, 62), "I": (63, 65), "J": (66, 69), "K": (70, 70), "L": (71, 72),
    "M": (73, 75), "N": (76, 79), "O": (80, 82), "P": (83, 83), "Q": (84, 85), "R": (86, 90),
    "S": (91, 96), "T": (97, 97),
}  # fmt: skip

MAX_TERMS = 1000  # per vocabulary: GB/T 4754 has 97 divisions; a county's skills, a few hundred
MAX_NAME = 50
MAX_ALIASES = 10

_DIVISION = re.compile(r"^([A-T])(\d{2})$")
_SKILL_CODE = re.compile(r"^[a-z][a-z0-9_]{1,31}$")


def term_key(text) -> str:
    """A word as looked up: NFKC, case folded, no whitespace, no punctuation."""
    folded = unicodedata.normalize("NFKC", str(text or "")).casefold()
    return "".join(
        char
        for char in folded
        if not char.isspace() and not unicodedata.category(char).startswith("P")
    )


def industry_section(code) -> str | None:
    """The section an industry code belongs to (`E47` -> `E`, `E` -> `E`), or None for a code
    that is neither a section nor a division of its section (`E13`: 13 is manufacturing's)."""
    if not isinstance(code, str):
        return None
    if code in INDUSTRY_SECTIONS:
        return code
    match = _DIVISION.match(code)
    if not match:
        return None
    first, last = SECTION_DIVISIONS[match[1]]
    return match[1] if first <= int(match[2]) <= last else None


def is_skill_code(code) -> bool:
    """A skill's code: a lower-case ASCII slug of 2 to 32 characters (`welder`, `forklift`)."""
    return isinstance(code, str) and bool(_SKILL_CODE.match(code))


def valid_code(kind: str, code) -> bool:
    return industry_section(code) is not None if kind == INDUSTRY else is_skill_code(code)


# (code, name, aliases): the sections, with words townships write for them, then a finer list of
# the divisions the county's people most often go to work in.
DEFAULT_INDUSTRIES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("A", INDUSTRY_SECTIONS["A"], ("农林牧渔",)),
    ("B", INDUSTRY_SECTIONS["B"], ("采矿", "矿山", "矿业")),
    ("C", INDUSTRY_SECTIONS["C"], ("制造", "工厂", "进厂")),
    ("D", INDUSTRY_SECTIONS["D"], ("电力", "水电气")),
    ("E", INDUSTRY_SECTIONS["E"], ("建筑", "建筑行业")),
    ("F", INDUSTRY_SECTIONS["F"], ("批发零售", "商贸")),
    ("G", INDUSTRY_SECTIONS["G"], ("交通运输", "物流")),
    ("H", INDUSTRY_SECTIONS["H"], ("住宿餐饮",)),
    ("I", INDUSTRY_SECTIONS["I"], ("信息技术", "软件", "IT")),
    ("J", INDUSTRY_SECTIONS["J"], ("金融",)),
    ("K", INDUSTRY_SECTIONS["K"], ("房地产",)),
    ("L", INDUSTRY_SECTIONS["L"], ("租赁",)),
    ("M", INDUSTRY_SECTIONS["M"], ("科研", "技术服务")),
    ("N", INDUSTRY_SECTIONS["N"], ("水利", "环境")),
    ("O", INDUSTRY_SECTIONS["O"], ("居民服务修理",)),
    ("P", INDUSTRY_SECTIONS["P"], ("教育培训",)),
    ("Q", INDUSTRY_SECTIONS["Q"], ("医疗", "卫生")),
    ("R", INDUSTRY_SECTIONS["R"], ("文化", "体育", "娱乐")),
    ("S", INDUSTRY_SECTIONS["S"], ("公共管理",)),
    ("T", INDUSTRY_SECTIONS["T"], ()),
    ("A01", "农业", ("种植", "种植业")),
    ("A03", "畜牧业", ("养殖", "养殖业")),
    ("C13", "农副食品加工业", ("农产品加工",)),
    ("C14", "食品制造业", ("食品厂", "食品加工")),
    ("C15", "酒、饮料和精制茶制造业", ("制茶", "茶厂")),
    ("C18", "纺织服装、服饰业", ("服装", "服装厂", "制衣")),
    ("C19", "皮革、毛皮、羽毛及其制品和制鞋业", ("鞋厂", "制鞋")),
    ("C36", "汽车制造业", ("汽车厂",)),
    ("C38", "电气机械和器材制造业", ("电器厂",)),
    ("C39", "计算机、通信和其他电子设备制造业", ("电子厂", "电子", "手机厂")),
    ("E47", "房屋建筑业", ("房建", "建筑工地")),
    ("E48", "土木工程建筑业", ("路桥", "修路", "土木工程")),
    ("E50", "建筑装饰、装修和其他建筑业", ("装修", "装饰")),
    ("F52", "零售业", ("零售", "超市", "商场")),
    ("G54", "道路运输业", ("运输", "货运", "客运")),
    ("G59", "装卸搬运和仓储业", ("仓储", "搬运", "装卸")),
    ("G60", "邮政业", ("快递",)),
    ("H61", "住宿业", ("酒店", "宾馆")),
    ("H62", "餐饮业", ("餐饮", "饭店", "餐馆")),
    ("L72", "商务服务业", ("保安服务",)),
    ("N78", "公共设施管理业", ("环卫", "绿化")),
    ("O80", "居民服务业", ("家政", "家政服务")),
    ("O81", "机动车、电子产品和日用产品修理业", ("汽修", "修理")),
    ("Q85", "社会工作", ("养老", "养老院", "养老服务")),
)

DEFAULT_SKILLS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("welder", "电焊工", ("焊工", "电焊")),
    ("electrician", "电工", ("维修电工",)),
    ("bricklayer", "砌筑工", ("泥瓦工", "瓦工", "泥水工")),
    ("rebar", "钢筋工", ()),
    ("carpenter", "木工", ("木匠",)),
    ("plasterer", "抹灰工", ("粉刷工",)),
    ("scaffolder", "架子工", ()),
    ("concrete", "混凝土工", ()),
    ("plumber", "管工", ("水暖工", "水管工")),
    ("painter", "油漆工", ("漆工",)),
    ("cook", "中式烹调师", ("厨师", "中餐厨师")),
    ("waiter", "餐厅服务员", ("服务员",)),
    ("driver", "机动车驾驶员", ("司机", "驾驶员")),
    ("forklift", "叉车司机", ("叉车工",)),
    ("excavator", "挖掘机驾驶员", ("挖掘机司机", "挖机司机")),
    ("sewing", "缝纫工", ("缝纫", "裁缝")),
    ("housekeeper", "家政服务员", ("保姆",)),
    ("carer", "养老护理员", ("护理员", "护工")),
    ("nursery", "育婴员", ("月嫂",)),
    ("assembler", "电子装配工", ("普工",)),
    ("security", "保安员", ("保安",)),
    ("cleaner", "保洁员", ("保洁",)),
    ("porter", "装卸搬运工", ("搬运工",)),
    ("mechanic", "汽车维修工", ("汽修工",)),
    ("hairdresser", "美发师", ("理发师",)),
)


def default_terms(kind: str) -> list[dict]:
    """Version 1 of a vocabulary, as `vocabulary_changed` carries terms: code, name, parent (an
    industry division's section; None for a section and a skill), aliases, retired."""
    defaults = DEFAULT_INDUSTRIES if kind == INDUSTRY else DEFAULT_SKILLS
    return [
        {
            "code": code,
            "name": name,
            "parent": code[0] if kind == INDUSTRY and len(code) > 1 else None,
            "aliases": list(aliases),
            "retired": False,
        }
        for code, name, aliases in defaults
    ]
