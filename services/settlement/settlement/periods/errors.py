"""Errors the callers of periods, statements and disputes can act on (every RPC declares
`DomainError`s as expected). Each names what is wrong in its message or details."""

from __future__ import annotations

from sanbao_common.errors import DomainError, NotFound


class PeriodNotFound(NotFound):
    code = "PERIOD_NOT_FOUND"
    message_en = "this period has not been run (sanbao settlement run PERIOD)"
    message_zh = "该结算期尚未计算（sanbao settlement run PERIOD）"


class PeriodClosed(DomainError):
    code = "PERIOD_CLOSED"
    message_en = (
        "this period is closed: a closed period is never edited (late changes settle in the "
        "next open period)"
    )
    message_zh = "该结算期已关账，不能再修改（迟到的变更计入下一个未关账的结算期）"


class PeriodInFuture(DomainError):
    code = "PERIOD_IN_FUTURE"
    message_en = "this period has not begun"
    message_zh = "该结算期尚未开始"


class PeriodNotEnded(DomainError):
    code = "PERIOD_NOT_ENDED"
    message_en = "this period's month has not ended: it closes from the first day of the next month"
    message_zh = "该结算期所在月份尚未结束，下月起方可关账"


class EarlierPeriodOpen(DomainError):
    code = "EARLIER_PERIOD_OPEN"
    message_en = "periods close in month order: close the earlier open period first"
    message_zh = "结算期须按月份顺序关账，请先关账更早的结算期"


class NotCountyCooperative(DomainError):
    code = "NOT_COUNTY_COOPERATIVE"
    message_en = (
        "only the county cooperative's operators (or the county's administrators) settle periods"
    )
    message_zh = "只有县级合作社的操作员（或县管理员）可以办理结算"


class StatementNotFound(NotFound):
    code = "STATEMENT_NOT_FOUND"
    message_en = "no such statement (sanbao settlement statements)"
    message_zh = "未找到该结算单（sanbao settlement statements）"


class NotTheCounterparty(DomainError):
    code = "NOT_THE_COUNTERPARTY"
    message_en = "only the statement's HR company acknowledges it"
    message_zh = "只有结算单所属的人力资源公司可以确认该结算单"


class NotAcknowledgeable(DomainError):
    code = "STATEMENT_NOT_ACKNOWLEDGEABLE"
    message_en = "a subsidy statement is claimed from the paying body, never acknowledged"
    message_zh = "补贴结算单向拨付单位申领，无需确认"


class StatementAlreadyAcknowledged(DomainError):
    code = "STATEMENT_ALREADY_ACKNOWLEDGED"
    message_en = "this statement was acknowledged already"
    message_zh = "该结算单已确认"


class DisputeRejected(DomainError):
    code = "DISPUTE_REJECTED"
    message_en = "a disputed placement must have lines on this statement, once each"
    message_zh = "有异议的安置须在本结算单上有明细，且每项只能提一次"


class DisputeNotFound(NotFound):
    code = "DISPUTE_NOT_FOUND"
    message_en = "no such dispute on this statement"
    message_zh = "该结算单没有此异议"


class DisputeResolved(DomainError):
    code = "DISPUTE_ALREADY_RESOLVED"
    message_en = "this dispute was resolved already"
    message_zh = "该异议已处理"
