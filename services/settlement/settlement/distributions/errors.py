"""Errors the callers of distributions can act on."""

from __future__ import annotations

from sanbao_common.errors import DomainError, NotFound


class DistributionNotFound(NotFound):
    code = "DISTRIBUTION_NOT_FOUND"
    message_en = "no such distribution"
    message_zh = "未找到该分配申请"


class DistributionNotRepeatable(DomainError):
    code = "DISTRIBUTION_NOT_REPEATABLE"
    message_en = (
        "only a distribution the fund refused, or one rejected or expired unsigned, is asked for "
        "again: this one is on its way or paid"
    )
    message_zh = (
        "只有被资金服务拒绝、被驳回或逾期未签的分配申请才能重新申请：该申请正在办理或已支付"
    )


class DistributionChanged(DomainError):
    code = "DISTRIBUTION_CHANGED"
    message_en = "the distribution changed while this was being done: read it again and retry"
    message_zh = "办理期间该分配申请已被修改，请重新查看后再试"
