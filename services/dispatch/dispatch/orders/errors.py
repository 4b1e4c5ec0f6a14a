"""Errors the callers of employers, service stations and job orders can act on (every RPC
declares `DomainError`s as expected). Each names what is wrong in its message or details."""

from __future__ import annotations

from sanbao_common.errors import DomainError, NotFound


class EmployerNotFound(NotFound):
    code = "EMPLOYER_NOT_FOUND"
    message_en = "no such employer (sanbao employer list)"
    message_zh = "未找到该用工企业（sanbao employer list）"


class EmployerExists(DomainError):
    code = "EMPLOYER_EXISTS"
    message_en = "an employer with this credit code is registered already"
    message_zh = "该统一社会信用代码的用工企业已登记"


class StationNotFound(NotFound):
    code = "SERVICE_STATION_NOT_FOUND"
    message_en = "no such service station of the order's HR company"
    message_zh = "该人力资源公司没有此农民工服务站"


class StationExists(DomainError):
    code = "SERVICE_STATION_EXISTS"
    message_en = "the HR company has a service station of this name already"
    message_zh = "该人力资源公司已有同名的农民工服务站"


class HrCompanyUnknown(DomainError):
    code = "HR_COMPANY_UNKNOWN"
    message_en = "no cooperation agreement names this organisation as its HR company"
    message_zh = "没有劳务合作协议以该组织为人力资源公司"


class VocabularyCodeUnknown(DomainError):
    code = "VOCABULARY_CODE_UNKNOWN"
    message_en = "a code is not in the county's vocabulary (sanbao directory vocabulary list)"
    message_zh = "代码不在本县的词表中（sanbao directory vocabulary list）"


class AgreementNotFound(NotFound):
    code = "AGREEMENT_NOT_FOUND"
    message_en = "no such cooperation agreement"
    message_zh = "未找到该劳务合作协议"


class AgreementNotSealed(DomainError):
    code = "AGREEMENT_NOT_SEALED"
    message_en = "the agreement has no version sealed by both organisations: no order under it"
    message_zh = "该协议尚无双方用印生效的版本，不能在其下发布用工需求"


class AgreementEnded(DomainError):
    code = "AGREEMENT_ENDED"
    message_en = "the agreement's term has ended: no new order under it"
    message_zh = "该协议期限已满，不能再发布用工需求"


class OrderRejected(DomainError):
    code = "JOB_ORDER_REJECTED"
    message_en = "the job order is not acceptable"
    message_zh = "用工需求不合规"


class OrderNotFound(NotFound):
    code = "JOB_ORDER_NOT_FOUND"
    message_en = "no such job order"
    message_zh = "未找到该用工需求"


class OrderNotOpen(DomainError):
    code = "JOB_ORDER_NOT_OPEN"
    message_en = "the job order has ended already"
    message_zh = "该用工需求已结束"
