"""What the county's reward and subsidy rules refuse."""

from sanbao_common.errors import DomainError


class RuleNotFound(DomainError):
    code = "RULE_NOT_FOUND"
    message_en = "no such rule"
    message_zh = "规则不存在"


class RuleRejected(DomainError):
    code = "RULE_REJECTED"
    message_en = "the rule is not accepted"
    message_zh = "规则不被接受"


def rejected(field: str, en: str, zh: str) -> RuleRejected:
    return RuleRejected(message_en=f"{field}: {en}", message_zh=f"{field}：{zh}", field=field)
