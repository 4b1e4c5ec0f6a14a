"""The fields a labourer is described by, and the codes registry stores for its vocabularies."""

from __future__ import annotations

# What a registration, an update or a roster row may carry (the roster's own names; a roster's
# "remarks" column is read and ignored). `sex`, `birth_date`, `age` are checked against the ID
# number and not stored; `household_head_name` is read and not stored (the head is the member
# whose relation is 户主).
INPUT_COLUMNS: tuple[str, ...] = (
    "name", "id_number", "village_code", "village", "township", "phone", "village_group",
    "household_number", "household_head_id", "household_head_name", "relation_to_head", "poor",
    "poverty_file_number", "agent", "employment_status", "employment_place", "skills",
    "intention_scope", "intention_regions", "intention_industries", "expected_wage",
    "earliest_start", "training_intention", "sex", "birth_date", "age",
)  # fmt: skip

# How far from home a person works or means to work: code -> the word townships write. In this
# order, nearest first. The county is the one the stack serves, the prefecture (州) its
# prefecture-level division, the province Yunnan.
SCOPES: dict[str, str] = {
    "in_county": "县内",
    "in_prefecture": "州内",  # in the prefecture, outside the county
    "in_province": "省内",  # in the province, outside the prefecture
    "outside_province": "省外",
}
NO_INTENTION = "none"  # 无: the person answered that they do not mean to go out to work
NO_INTENTION_LABEL = "无"
# Working away from home: what the county reports as transferred labour (转移就业).
AWAY_SCOPES = frozenset({"in_prefecture", "in_province", "outside_province"})

# Employment status code -> the label townships write. A person working somewhere has the
# scope of where they work as their status (`in_province` kept its code when its label went
# from 省内县外务工 to 省内州外务工: records stored before the change may be in the prefecture).
EMPLOYMENT_STATUSES: dict[str, str] = {
    "at_home": "在家务农",
    "in_county": "县内务工",
    "in_prefecture": "州内县外务工",
    "in_province": "省内州外务工",
    "outside_province": "省外务工",
    "unemployed": "失业",
    "unable_to_work": "无劳动能力",
}

# What `training_intention` holds for someone who wants training without naming a course (a
# roster's 培训意愿 "是"): one item, so that "willing" and "not willing" ([]) stay apart.
WILLING_TO_TRAIN = "愿意参加培训"
