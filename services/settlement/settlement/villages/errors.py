"""Errors the callers of the village books can act on."""

from __future__ import annotations

from sanbao_common.errors import DomainError, NotFound


class VillageNotFound(NotFound):
    code = "VILLAGE_NOT_FOUND"
    message_en = "no such village cooperative"
    message_zh = "未找到该村级合作社"


class VillageUseNotFound(NotFound):
    code = "VILLAGE_USE_NOT_FOUND"
    message_en = "no such use of village income"
    message_zh = "未找到该笔村集体收益支出"


class SelfApproval(DomainError):
    code = "VILLAGE_USE_SELF_APPROVAL"
    message_en = (
        "a use is approved by another person of the village cooperative, never by whoever "
        "recorded it"
    )
    message_zh = "支出须由本村合作社的另一人审批，登记人不能自行审批"


class VillageUseDecided(DomainError):
    code = "VILLAGE_USE_DECIDED"
    message_en = "the use was approved or rejected already"
    message_zh = "该笔支出已审批或已驳回"
