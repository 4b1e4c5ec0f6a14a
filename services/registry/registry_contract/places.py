"""A small gazetteer: the places townships name as where a person works or means to work, and
the scope (`vocabularies.SCOPES`) each gives from one county.

What it knows: Honghe prefecture's 13 counties and cities (红河哈尼族彝族自治州), Yunnan's 16
prefecture-level divisions, the 34 provincial-level divisions, a few cities townships' people
go to, each by its full name and its usual short forms (个旧, 屏边县, 红河州, 西双版纳, 广东,
广西, 内蒙古 ...), and the words for a scope (县内, 本县, 州内, 省内, 省外, 外省, 沿海 ...) or for
no intention (无, 否, 不外出 ...). A text that starts with a place it knows is in that place
(广东省深圳市, 蒙自市新安所镇); anything else is a place it does not know (the text is kept, the
scope is not told by it). Dispatch matches on the scopes (issue 15); registry reads rosters with
them, and migration 0015 derived the scopes of people registered before.
"""

from __future__ import annotations

from collections.abc import Iterable

from registry_contract.vocabularies import NO_INTENTION, SCOPES

# Division code -> full name (GB/T 2260). A province's code has 2 significant digits, a
# prefecture's 4, a county's 6: a place's scope from a county is how many digits they share.
PROVINCES: dict[str, str] = {
    "11": "北京市", "12": "天津市", "13": "河北省", "14": "山西省", "15": "内蒙古自治区",
    "21": "辽宁省", "22": "吉林省", "23": "黑龙江省", "31": "上海市", "32": "江苏省",
    "33": "浙江省", "34": "安徽省", "35": "福建省", "36": "江西省", "37": "山东省",
    "41": "河南省", "42": "湖北省", "43": "湖南省", "44": "广东省", "45": "广西壮族自治区",
    "46": "海南省", "50": "重庆市", "51": "四川省", "52": "贵州省", "53": "云南省",
    "54": "西藏自治区", "61": "陕西省", "62": "甘肃省", "63": "青海省", "64": "宁夏回族自治区",
    "65": "新疆维吾尔自治区", "71": "台湾省", "81": "香港特别行政区", "82": "澳门特别行政区",
}  # fmt: skip
YUNNAN_PREFECTURES: dict[str, str] = {
    "5301": "昆明市", "5303": "曲靖市", "5304": "玉溪市", "5305": "保山市", "5306": "昭通市",
    "5307": "丽江市", "5308": "普洱市", "5309": "临沧市", "5323": "楚雄彝族自治州",
    "5325": "红河哈尼族彝族自治州", "5326": "文山壮族苗族自治州", "5328": "西双版纳傣族自治州",
    "5329": "大理白族自治州", "5331": "德宏傣族景颇族自治州", "5333": "怒江傈僳族自治州",
    "5334": "迪庆藏族自治州",
}  # fmt: skip
HONGHE_COUNTIES: dict[str, str] = {
    "532501": "个旧市", "532502": "开远市", "532503": "蒙自市", "532504": "弥勒市",
    "532523": "屏边苗族自治县", "532524": "建水县", "532525": "石屏县", "532527": "泸西县",
    "532528": "元阳县", "532529": "红河县", "532530": "金平苗族瑶族傣族自治县",
    "532531": "绿春县", "532532": "河口瑶族自治县",
}  # fmt: skip
# Cities outside Yunnan people of the county often name, by the province they are in.
CITIES: dict[str, str] = {
    "广州": "44", "深圳": "44", "东莞": "44", "佛山": "44", "中山": "44", "珠海": "44",
    "惠州": "44", "江门": "44", "杭州": "33", "宁波": "33", "温州": "33", "义乌": "33",
    "苏州": "32", "南京": "32", "昆山": "32", "福州": "35", "厦门": "35", "泉州": "35",
    "成都": "51", "贵阳": "52",
}  # fmt: skip

# The words for a scope, and for no intention, besides the scope words themselves (县内 ...).
SCOPE_WORDS: dict[str, str] = {
    **{word: code for code, word in SCOPES.items()},
    **dict.fromkeys(
        ("本县", "县城", "本地", "本乡", "本镇", "乡内", "镇内", "本乡镇", "乡镇内", "县内务工"),
        "in_county",
    ),
    **dict.fromkeys(("本州", "州内县外", "县外州内", "州内务工", "州内县外务工"), "in_prefecture"),
    **dict.fromkeys(
        ("本省", "省内州外", "州外省内", "省内县外", "省内务工", "省内州外务工", "省内县外务工"),
        "in_province",
    ),
    **dict.fromkeys(
        ("外省", "出省", "跨省", "省外务工", "沿海", "沿海地区", "东部沿海", "国外", "境外"),
        "outside_province",
    ),
    **dict.fromkeys(
        (
            "无",
            "否",
            "没有",
            "暂无",
            "不",
            "不外出",
            "不外出务工",
            "不愿外出",
            "不想外出",
            "不去",
            "在家",
            "无意向",
            "无意愿",
            "无外出意愿",
            "不愿意",
            "×",
            "N",
            "n",
            "no",
            "false",
            "0",
        ),
        NO_INTENTION,
    ),  # fmt: skip
}
_ORDER = {code: rank for rank, code in enumerate(SCOPES)}


_PEOPLES = ("哈尼族", "彝族", "壮族", "苗族", "瑶族", "傣族", "白族", "景颇族", "傈僳族", "藏族",
            "回族", "维吾尔")  # fmt: skip
_SUFFIXES = ("特别行政区", "自治区", "自治州", "自治县", "省", "市", "县")


def _short_forms(name: str) -> set[str]:
    """A division's name and the forms townships write it in: 个旧市 -> 个旧; 屏边苗族自治县 ->
    屏边, 屏边县; 红河哈尼族彝族自治州 -> 红河, 红河州; 广西壮族自治区 -> 广西."""
    suffix = next((s for s in _SUFFIXES if name.endswith(s)), None)
    if suffix is None:
        return {name}
    stem = name.removesuffix(suffix)
    while stem.endswith(_PEOPLES):  # the peoples an autonomous division is named for
        stem = stem.removesuffix(next(p for p in _PEOPLES if stem.endswith(p)))
    forms = {name, stem}
    if suffix in ("自治州", "自治县"):
        forms.add(stem + suffix[-1])  # 红河州, 屏边县
    return forms


def _places() -> dict[str, str]:
    """Every name and short form -> its division code (a county's own names win over a
    prefecture's: 红河县 is the county, 红河 the prefecture)."""
    places: dict[str, str] = {}
    for table in (PROVINCES, YUNNAN_PREFECTURES, HONGHE_COUNTIES):
        for code, name in table.items():
            for form in _short_forms(name):
                places.setdefault(form, code)
    places["滇"] = "53"
    for city, province in CITIES.items():
        places.setdefault(city, province)
    return places


PLACES: dict[str, str] = _places()
_LONGEST = max(map(len, PLACES))


def place_code(text: str) -> str | None:
    """The division code of the place a text names or starts with (the longest name it
    starts with), or None."""
    for length in range(min(len(text), _LONGEST), 1, -1):
        code = PLACES.get(text[:length])
        if code is not None:
            return code
    return PLACES.get(text)


def scope_of_place(code: str, county: str) -> str:
    """The scope of a division (`place_code`) seen from `county` (6 digits)."""
    if code == county:
        return "in_county"
    if code.startswith(county[:4]):
        # The prefecture itself (5325) or one of its counties: within the prefecture. A county
        # of the prefecture that is not ours is outside the county, in the prefecture.
        return "in_prefecture"
    if code.startswith(county[:2]):
        return "in_province"
    return "outside_province"


def scope_of(text: str, county: str) -> str | None:
    """The scope one item names (a scope word, a no-intention word or a place), or None for a
    place the gazetteer does not know."""
    word = SCOPE_WORDS.get(text)
    if word is not None:
        return word
    code = place_code(text)
    return scope_of_place(code, county) if code is not None else None


def farthest(scopes: Iterable[str]) -> str | None:
    """The farthest of some scopes (how far a person means to go), or None if there are none."""
    return max(scopes, key=_ORDER.__getitem__, default=None)


def scope_of_regions(regions: Iterable[str], county: str) -> str | None:
    """The scope a list of intended places and words gives: the farthest scope named,
    NO_INTENTION if every item says so, None if nothing tells (or an item says 无 beside a
    place, which cannot be both)."""
    found = {scope_of(item, county) for item in regions} - {None}
    if found == {NO_INTENTION}:
        return NO_INTENTION
    if NO_INTENTION in found:
        return None
    return farthest(found)
