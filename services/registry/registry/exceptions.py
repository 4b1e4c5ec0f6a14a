"""Errors registry's callers can act on (declared as expected exceptions of every RPC)."""

from sanbao_common.errors import DomainError, NotFound


class LabourerAlreadyRegistered(DomainError):
    code = "LABOURER_ALREADY_REGISTERED"
    message_en = "a labourer with this ID number is already registered"
    message_zh = "该身份证号已登记"


class ConcurrentRegistration(DomainError):
    code = "CONCURRENT_REGISTRATION"
    message_en = "the same person was being registered at the same moment elsewhere; send again"
    message_zh = "同一人正在别处同时登记，请重新提交"


class OutsideCounty(DomainError):
    code = "OUTSIDE_COUNTY"
    message_en = "the village is not in this county"
    message_zh = "该村不属于本县（市）"


class LabourerNotFound(NotFound):
    code = "LABOURER_NOT_FOUND"
    message_en = "no labourer with this id"
    message_zh = "未找到该劳动力"
