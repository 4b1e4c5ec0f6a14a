"""The fields a labourer is described by, and the codes registry stores for its vocabularies."""

from __future__ import annotations

# What a registration, an update or a roster row may carry (the roster's own names; a roster's
# "remarks" column is read and ignored).
INPUT_COLUMNS: tuple[str, ...] = (
    "name", "id_number", "village_code", "phone", "village_group", "household_number",
    "household_head_id", "relation_to_head", "poor", "poverty_file_number", "agent",
    "employment_status", "employment_place", "skills", "intention_regions",
    "intention_industries", "expected_wage", "earliest_start", "training_intention",
)  # fmt: skip

# Employment status code -> the label townships write.
EMPLOYMENT_STATUSES: dict[str, str] = {
    "at_home": "在家务农",
    "in_county": "县内务工",
    "in_province": "省内县外务工",
    "outside_province": "省外务工",
    "unemployed": "失业",
    "unable_to_work": "无劳动能力",
}
