"""Errors the callers of placements, follow-ups and the degree of organisation can act on (every
RPC declares `DomainError`s as expected). Each names what is wrong in its message or details."""

from __future__ import annotations

from sanbao_common.errors import DomainError, NotFound


class PlacementNotFound(NotFound):
    code = "PLACEMENT_NOT_FOUND"
    message_en = "no such placement (sanbao placement list)"
    message_zh = "未找到该安置记录（sanbao placement list）"


class NotInBatch(DomainError):
    code = "NOT_IN_BATCH"
    message_en = "the person is not an arrived member of this batch: only arrived people are placed"
    message_zh = "此人不是该批次已到岗的成员：只有已到岗人员可以安置"


class AlreadyPlaced(DomainError):
    code = "ALREADY_PLACED"
    message_en = "the person was placed from this batch already"
    message_zh = "此人已从该批次安置"


class AgreementNotInForce(DomainError):
    code = "AGREEMENT_NOT_IN_FORCE"
    message_en = "no sealed version of the batch's agreement is in force on the start date"
    message_zh = "开工日期时该批次的劳务合作协议没有生效版本"


class PlacementRejected(DomainError):
    code = "PLACEMENT_REJECTED"
    message_en = "the placement is not acceptable"
    message_zh = "安置信息不合规"


class PlacementEnded(DomainError):
    code = "PLACEMENT_ENDED"
    message_en = "the placement has ended: no follow-up or change any more"
    message_zh = "该安置已结束，不能再跟踪或变更"


class PlacementChanged(DomainError):
    code = "PLACEMENT_CHANGED"
    message_en = "the placement changed meanwhile (another follow-up was recorded): try again"
    message_zh = "该安置记录刚被他人变更（已登记另一次回访），请重试"


class FollowUpNotDue(DomainError):
    code = "FOLLOW_UP_NOT_DUE"
    message_en = "this follow-up is not due yet"
    message_zh = "该次跟踪回访尚未到期"


class FollowUpRecorded(DomainError):
    code = "FOLLOW_UP_RECORDED"
    message_en = "this follow-up was recorded already"
    message_zh = "该次跟踪回访已登记"


class FollowUpRejected(DomainError):
    code = "FOLLOW_UP_REJECTED"
    message_en = "the follow-up is not acceptable"
    message_zh = "跟踪回访信息不合规"
