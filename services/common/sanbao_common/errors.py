"""Errors a caller can act on.

A `DomainError` crosses the RPC boundary as an expected exception: nameko sends its class name and
its text, and the text always starts with the stable code in brackets, so that `sanbao` and any
other client can show one clear line and branch on the code without importing this package.
"""

from __future__ import annotations

import re

CODE_PATTERN = re.compile(r"^\[(?P<code>[A-Z][A-Z0-9_]*)\] (?P<message>.*)$", re.DOTALL)


class DomainError(Exception):
    """An error the caller caused and can correct; never a bug."""

    code = "DOMAIN_ERROR"
    message_en = "the request was refused"
    message_zh = "请求被拒绝"

    def __init__(self, message_en: str | None = None, message_zh: str | None = None, **details):
        self.message_en = message_en or self.message_en
        self.message_zh = message_zh or self.message_zh
        self.details = details
        super().__init__(self._text())

    def _text(self) -> str:
        text = f"[{self.code}] {self.message_en} / {self.message_zh}"
        if self.details:
            text += " (" + ", ".join(f"{key}={value}" for key, value in self.details.items()) + ")"
        return text

    def __str__(self) -> str:
        return self._text()


class InvalidInput(DomainError):
    code = "INVALID_INPUT"
    message_en = "the request is not valid"
    message_zh = "请求内容不合法"

    def __init__(self, errors: dict, message_en: str | None = None, message_zh: str | None = None):
        self.errors = errors
        super().__init__(
            message_en or f"the request is not valid: {describe_field_errors(errors)}",
            message_zh or f"请求内容不合法：{describe_field_errors(errors)}",
        )


class RequestTooLarge(DomainError):
    """A request body over its method's size limit: refused by the RPC consumer before anything
    decodes it (sanbao_common.rpc; docs/api.md "Limits")."""

    code = "REQUEST_TOO_LARGE"
    message_en = "the request is larger than this method accepts"
    message_zh = "请求内容超过该接口允许的大小"


class NotFound(DomainError):
    code = "NOT_FOUND"
    message_en = "no such record"
    message_zh = "记录不存在"


class WrongCounty(DomainError):
    code = "WRONG_COUNTY"
    message_en = "the record belongs to another county"
    message_zh = "该记录属于其他县（市）"


def describe_field_errors(errors, prefix: str = "") -> str:
    """Flatten marshmallow's nested error dict into 'field: message; other.field: message'."""
    parts: list[str] = []
    if isinstance(errors, dict):
        for key, value in errors.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            parts.append(describe_field_errors(value, name))
    elif isinstance(errors, list | tuple):
        messages = [describe_field_errors(item, prefix) for item in errors]
        return "; ".join(messages)
    else:
        return f"{prefix}: {errors}" if prefix else str(errors)
    return "; ".join(parts)


def parse_error_text(text: str) -> tuple[str | None, str]:
    """Split '[CODE] message' into (code, message); (None, text) if it has no code."""
    match = CODE_PATTERN.match(text or "")
    if not match:
        return None, text
    return match["code"], match["message"]
